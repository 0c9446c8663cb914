package ai.gateway.usage.sink;

import java.time.Instant;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * DOWN while PostgreSQL writes fail (usage is then only delayed: the records wait in Kafka), with the
 * latest error and since when; UP otherwise, with the time of the last successful write.
 */
final class SinkHealthIndicator implements HealthIndicator {

  private final SinkStatus status;

  SinkHealthIndicator(SinkStatus status) {
    this.status = status;
  }

  @Override
  public Health health() {
    SinkStatus.Outage outage = status.outage();
    Instant lastWriteAt = status.lastWriteAt();
    Health.Builder health = outage == null
        ? Health.up()
        : Health.down()
            .withDetail("lastError", outage.lastError())
            .withDetail("failingSince", outage.since().toString())
            .withDetail("failedWrites", outage.failedWrites());
    return health.withDetail("lastWriteAt", lastWriteAt == null ? "never" : lastWriteAt.toString()).build();
  }
}
