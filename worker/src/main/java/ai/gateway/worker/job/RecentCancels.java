package ai.gateway.worker.job;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CANCELs for jobs not (yet) running here, remembered for a while: the gateway may cancel a job that is
 * still queued, and the job must then end CANCELLED when it arrives instead of calling the provider.
 * Bounded, since every worker sees every cancel of the whole cluster.
 */
final class RecentCancels {

  private static final int MAX_ENTRIES = 100_000;

  private final ConcurrentHashMap<String, Instant> expiries = new ConcurrentHashMap<>();
  private final Duration memory;
  private final Clock clock;

  RecentCancels(Duration memory, Clock clock) {
    this.memory = memory;
    this.clock = clock;
  }

  void remember(String jobId) {
    if (memory.isZero()) {
      return;
    }
    Instant now = clock.instant();
    if (expiries.size() >= MAX_ENTRIES) {
      expiries.values().removeIf(expiry -> expiry.isBefore(now));
    }
    if (expiries.size() < MAX_ENTRIES) {
      expiries.put(jobId, now.plus(memory));
    }
  }

  boolean contains(String jobId) {
    Instant expiry = expiries.get(jobId);
    return expiry != null && !expiry.isBefore(clock.instant());
  }
}
