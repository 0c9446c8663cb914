package ai.gateway.simulator;

import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.Connection;

/**
 * The live ledger record of one exchange. Handlers report what they put on the wire; the caller closing
 * the connection first makes it aborted. Updates after the call ended are ignored, so a token that races
 * with the caller's hang-up is not counted as sent.
 */
final class Call {

  /** What a handler knows about a call when it opens it. */
  record Opening(String provider, String model, String scenario, boolean stream,
      @Nullable String clientRequestId, boolean authorized, long promptTokens) {}

  private final String callId;
  private final Opening opening;
  private final Instant startedAt;
  private final Clock clock;
  private final Sinks.Empty<Void> abortSignal = Sinks.empty();
  private final StringBuilder content = new StringBuilder();
  private final List<Runnable> onEnd = new ArrayList<>(1);
  private int httpStatus;
  private long completionTokens;
  private boolean usageReported;
  private @Nullable Instant finishedAt;
  private @Nullable Instant abortedAt;

  Call(String callId, Opening opening, Clock clock) {
    this.callId = callId;
    this.opening = opening;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  String callId() {
    return callId;
  }

  @Nullable String clientRequestId() {
    return opening.clientRequestId();
  }

  long promptTokens() {
    return opening.promptTokens();
  }

  /**
   * Aborts the call when the caller's connection closes first. The listener is removed when the call ends,
   * so a keep-alive connection carrying thousands of calls does not collect thousands of listeners.
   */
  void watch(Connection connection) {
    var closeFuture = connection.channel().closeFuture();
    GenericFutureListener<Future<? super Void>> listener = future -> abort();
    closeFuture.addListener(listener);
    whenEnded(() -> closeFuture.removeListener(listener));
  }

  /** Completes (empty) when the caller hangs up. */
  Mono<Void> aborted() {
    return abortSignal.asMono();
  }

  synchronized boolean ended() {
    return finishedAt != null || abortedAt != null;
  }

  synchronized void responded(int status) {
    if (!ended() && httpStatus == 0) {
      httpStatus = status;
    }
  }

  /** One content token went out. */
  synchronized void sent(String token) {
    if (!ended()) {
      content.append(token);
      completionTokens++;
    }
  }

  synchronized void usageSent() {
    if (!ended()) {
      usageReported = true;
    }
  }

  /**
   * The simulator completed its response (or deliberately closed the connection).
   *
   * @return false if the call had already ended, e.g. because the caller aborted it
   */
  boolean finish() {
    synchronized (this) {
      if (ended()) {
        return false;
      }
      finishedAt = clock.instant();
    }
    runEndHooks();
    return true;
  }

  /** The caller closed the connection before the response completed. */
  void abort() {
    synchronized (this) {
      if (ended()) {
        return;
      }
      abortedAt = clock.instant();
    }
    runEndHooks();
    abortSignal.tryEmitEmpty();
  }

  private void runEndHooks() {
    List<Runnable> hooks;
    synchronized (this) {
      hooks = List.copyOf(onEnd);
      onEnd.clear();
    }
    hooks.forEach(Runnable::run);
  }

  private void whenEnded(Runnable hook) {
    synchronized (this) {
      if (!ended()) {
        onEnd.add(hook);
        return;
      }
    }
    hook.run();
  }

  synchronized LedgerEntry snapshot() {
    return new LedgerEntry(callId, opening.provider(), opening.model(), opening.scenario(), opening.stream(),
        httpStatus, opening.clientRequestId(), opening.promptTokens(), completionTokens, usageReported,
        content.toString(), startedAt, finishedAt, abortedAt != null, abortedAt, opening.authorized());
  }
}
