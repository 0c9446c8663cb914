package ai.gateway.simulator;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every call the simulator received, oldest first, so tests can compare what the gateway reports with what
 * the provider sent. Keeps the most recent {@value #CAPACITY} calls: a long benchmark must not grow the
 * simulator's heap without bound.
 */
public final class Ledger {

  static final int CAPACITY = 100_000;

  private final ConcurrentLinkedDeque<Call> calls = new ConcurrentLinkedDeque<>();
  private final AtomicInteger size = new AtomicInteger();
  private final AtomicLong nextId = new AtomicLong(1);
  private final ConcurrentHashMap<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private final Clock clock;

  Ledger(Clock clock) {
    this.clock = clock;
  }

  /** A snapshot of every recorded call, oldest first; calls still running show their state so far. */
  public List<LedgerEntry> entries() {
    return calls.stream().map(Call::snapshot).toList();
  }

  /** The calls that carried this {@code X-Client-Request-Id} header, oldest first. */
  public List<LedgerEntry> byClientRequestId(String id) {
    Objects.requireNonNull(id, "id");
    return calls.stream().filter(call -> id.equals(call.clientRequestId())).map(Call::snapshot).toList();
  }

  /** Forgets every call and resets the {@code sim-fail-then-ok-N} counters. */
  public void clear() {
    calls.clear();
    size.set(0);
    attempts.clear();
  }

  Call open(Call.Opening opening) {
    Call call = new Call("sim-" + nextId.getAndIncrement(), opening, clock);
    calls.addLast(call);
    if (size.incrementAndGet() > CAPACITY && calls.pollFirst() != null) {
      size.decrementAndGet();
    }
    return call;
  }

  /** 1 for the first call with this key, 2 for the second, ... (until {@link #clear()}). */
  int nextAttempt(String key) {
    return attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
  }
}
