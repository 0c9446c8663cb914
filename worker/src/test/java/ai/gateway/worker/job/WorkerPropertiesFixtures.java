package ai.gateway.worker.job;

import ai.gateway.worker.config.WorkerProperties;
import java.time.Duration;

/** {@code worker.*} as application.yml sets it, with the few values tests change. */
final class WorkerPropertiesFixtures {

  private WorkerPropertiesFixtures() {
  }

  static WorkerProperties defaults() {
    return worker(512, Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(60), Duration.ofSeconds(10));
  }

  static WorkerProperties worker(int maxInFlight, Duration commitInterval, Duration pollTimeout,
      Duration capabilitiesTtl, Duration shutdownGrace) {
    return worker(maxInFlight, commitInterval, pollTimeout, capabilitiesTtl, shutdownGrace, Duration.ofSeconds(20));
  }

  static WorkerProperties withLease(Duration leaseDuration) {
    return worker(512, Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofSeconds(60), Duration.ofSeconds(10),
        leaseDuration);
  }

  private static WorkerProperties worker(int maxInFlight, Duration commitInterval, Duration pollTimeout,
      Duration capabilitiesTtl, Duration shutdownGrace, Duration leaseDuration) {
    return new WorkerProperties(null, "ai-workers", maxInFlight, 100, leaseDuration, Duration.ofSeconds(20),
        Duration.ofMinutes(5), commitInterval, pollTimeout, capabilitiesTtl, shutdownGrace, Duration.ofMinutes(10),
        WorkerProperties.DEFAULT_FALLBACK_ORDER, "ai-workers.batch", 256);
  }
}
