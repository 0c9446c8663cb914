package ai.gateway.usage.config;

import java.nio.file.Path;
import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The aggregator's own settings; defaults are in {@code application.yml}.
 *
 * @param applicationId the Kafka Streams application id (consumer group, prefix of internal topics)
 * @param dedupRetention how long an eventId is remembered; absent: exactly as long as {@code ai.usage} can hold an
 *     event (read from the topic at start); when set, a value shorter than that fails the start
 * @param stateDir Kafka Streams' state directory; one per instance (two instances cannot share one)
 * @param cleanUpStateOnStop deletes this instance's local state when it stops (tests: no leftovers)
 * @param commitInterval Kafka Streams' commit interval: under exactly-once, how often a transaction ends
 *     and results become visible to {@code read_committed} readers
 * @param sink the PostgreSQL writer
 */
@ConfigurationProperties(prefix = "usage", ignoreUnknownFields = false)
public record UsageProperties(String applicationId, @Nullable Duration dedupRetention, Path stateDir,
    boolean cleanUpStateOnStop, Duration commitInterval, Sink sink) {

  public UsageProperties {
    Validation.notBlank("usage.application-id", applicationId);
    if (dedupRetention != null) {
      Validation.positive("usage.dedup-retention", dedupRetention);
    }
    Validation.check(stateDir != null, "usage.state-dir is required");
    Validation.positive("usage.commit-interval", commitInterval);
    Validation.check(sink != null, "usage.sink is required");
  }

  /**
   * @param groupId the writer's consumer group
   * @param pollTimeout how long one poll waits for records
   * @param backoffMin first pause after a failed write
   * @param backoffMax the longest pause between retries while PostgreSQL is failing
   */
  public record Sink(String groupId, Duration pollTimeout, Duration backoffMin, Duration backoffMax) {

    public Sink {
      Validation.notBlank("usage.sink.group-id", groupId);
      Validation.positive("usage.sink.poll-timeout", pollTimeout);
      Validation.positive("usage.sink.backoff-min", backoffMin);
      Validation.positive("usage.sink.backoff-max", backoffMax);
      Validation.check(backoffMax.compareTo(backoffMin) >= 0, "usage.sink.backoff-max must be at least backoff-min");
    }
  }
}
