package ai.gateway.usage.topology;

import java.time.Duration;

import org.apache.kafka.streams.KafkaStreams;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * UP while Kafka Streams is RUNNING, and while it rebalances after having run (a rebalance is routine,
 * not an outage); DOWN while it starts, after it failed (ERROR) and once it stopped.
 */
final class StreamsHealthIndicator implements HealthIndicator {

  private final UsageStreams streams;

  StreamsHealthIndicator(UsageStreams streams) {
    this.streams = streams;
  }

  @Override
  public Health health() {
    KafkaStreams.State state = streams.state();
    boolean up = state == KafkaStreams.State.RUNNING
        || (state == KafkaStreams.State.REBALANCING && streams.hasBeenRunning());
    Health.Builder health = (up ? Health.up() : Health.down()).withDetail("state", state.name());
    Duration dedupRetention = streams.dedupRetention();
    if (dedupRetention != null) {
      health.withDetail("dedupRetention", dedupRetention.toString());
    }
    return health.build();
  }
}
