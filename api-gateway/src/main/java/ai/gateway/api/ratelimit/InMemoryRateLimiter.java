package ai.gateway.api.ratelimit;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import reactor.core.publisher.Mono;

/**
 * {@link RateLimiter} for one gateway instance: the logs live in this JVM, so several instances would each
 * admit the full limit. Each check runs inside the map's per-key {@code compute}, which makes it atomic
 * per user without a global lock. A user's log is dropped once it has not been touched for the longest
 * window (it would be empty by then), so memory follows the users active in that window.
 */
final class InMemoryRateLimiter implements RateLimiter {

  private final SlidingWindowLog algorithm;
  private final LongSupplier nowMicros;
  private final Cache<String, long[]> logs;

  /** @param nowMicros a monotonic clock in microseconds */
  InMemoryRateLimiter(SlidingWindowLog algorithm, LongSupplier nowMicros) {
    this.algorithm = algorithm;
    this.nowMicros = nowMicros;
    this.logs = Caffeine.newBuilder()
        .expireAfterAccess(algorithm.longestPeriod().toNanos(), TimeUnit.NANOSECONDS)
        .build();
  }

  static LongSupplier monotonicMicros() {
    return () -> TimeUnit.NANOSECONDS.toMicros(System.nanoTime());
  }

  @Override
  public Mono<RateLimitDecision> tryAcquire(String userId) {
    return Mono.fromSupplier(() -> decide(userId));
  }

  RateLimitDecision decide(String userId) {
    AtomicReference<RateLimitDecision> decision = new AtomicReference<>();
    logs.asMap().compute(userId, (user, log) -> {
      // Read inside compute: checks of one user are serialized, so their times are in order.
      SlidingWindowLog.Outcome outcome = algorithm.offer(log == null ? SlidingWindowLog.empty() : log, nowMicros.getAsLong());
      decision.set(outcome.decision());
      return outcome.log().length == 0 ? null : outcome.log();
    });
    return decision.get();
  }
}
