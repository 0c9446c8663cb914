package ai.gateway.usage.topology;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.jspecify.annotations.Nullable;

/**
 * How long the topology remembers an eventId: at least as long as {@code ai.usage} can still hold the event.
 * Anything shorter lets a replay of {@code ai.usage} from offset zero (a reset of the application's offsets,
 * offsets expired after a long stop) count an event whose id was already forgotten a second time.
 *
 * <p>Kafka deletes whole segments, once the newest record of a segment is older than {@code retention.ms};
 * a segment spans up to {@code segment.ms}, and under {@code CreateTime} a producer may stamp a record up
 * to {@code message.timestamp.after.max.ms} ahead of the broker's clock. So a record can stay
 * {@code retention.ms + segment.ms (+ message.timestamp.after.max.ms)} after it was written, plus the
 * broker's retention check (5 minutes by default) — which {@link #MARGIN} covers. Measured from when this
 * service first saw the id, which is never before the event was written.
 *
 * <p>The topic's effective configuration is read at every start. Without {@code usage.dedup-retention}
 * the retention is exactly that bound; a configured value below it fails the start, as does a topic that
 * keeps records forever (no {@code delete} cleanup policy, or {@code retention.ms=-1}).
 */
final class DedupRetention {

  /** The broker's retention check ({@code log.retention.check.interval.ms}, 5 min by default) and clock skew. */
  static final Duration MARGIN = Duration.ofMinutes(10);
  static final String PROPERTY = "usage.dedup-retention";

  private final Map<String, Object> adminConfig;
  private final String usageTopic;
  private final @Nullable Duration configured;
  private final Duration timeout;

  DedupRetention(Map<String, Object> adminConfig, String usageTopic, @Nullable Duration configured, Duration timeout) {
    this.adminConfig = Map.copyOf(adminConfig);
    this.usageTopic = usageTopic;
    this.configured = configured;
    this.timeout = timeout;
  }

  /** The effective retention settings of the usage topic, broker defaults included. */
  record TopicRetention(String topic, Set<String> cleanupPolicy, long retentionMs, long segmentMs,
      boolean createTime, long timestampAfterMaxMs) {

    /** The longest a record can stay in the topic after it was written, plus {@link #MARGIN}. */
    Duration required() {
      if (!cleanupPolicy.contains(TopicConfig.CLEANUP_POLICY_DELETE) || retentionMs < 0) {
        throw new IllegalStateException(topic + " keeps records forever (cleanup.policy="
            + String.join(",", cleanupPolicy) + ", retention.ms=" + retentionMs
            + "): no dedup retention can cover a replay of it from offset zero. "
            + "Give " + topic + " the delete cleanup policy and a finite retention.ms.");
      }
      try {
        long lateStamp = createTime ? timestampAfterMaxMs : 0;
        return Duration.ofMillis(Math.addExact(Math.addExact(retentionMs, segmentMs), lateStamp)).plus(MARGIN);
      } catch (ArithmeticException e) {
        throw new IllegalStateException(topic + " keeps records practically forever (retention.ms=" + retentionMs
            + ", segment.ms=" + segmentMs + "); give it a finite retention", e);
      }
    }
  }

  /** Reads the topic's effective configuration and resolves the retention against it. */
  Duration resolve() {
    return resolve(configured, describe());
  }

  /**
   * @param configured {@code usage.dedup-retention}, or null to use exactly what the topic requires
   * @throws IllegalStateException when the configured value is shorter than the topic can hold an event
   */
  static Duration resolve(@Nullable Duration configured, TopicRetention topic) {
    Duration required = topic.required();
    if (configured == null) {
      return required;
    }
    if (configured.compareTo(required) < 0) {
      throw new IllegalStateException(PROPERTY + "=" + configured + " is shorter than " + topic.topic()
          + " can hold an event (" + required + ": retention.ms " + topic.retentionMs() + " + segment.ms "
          + topic.segmentMs()
          + (topic.createTime() ? " + message.timestamp.after.max.ms " + topic.timestampAfterMaxMs() : "")
          + " + " + MARGIN + " margin): a replay of it would count forgotten events twice. Raise it, or remove "
          + "it to derive it from the topic.");
    }
    return configured;
  }

  private TopicRetention describe() {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, usageTopic);
    try (Admin admin = Admin.create(adminConfig)) {
      Config config = admin.describeConfigs(List.of(resource)).all()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(resource);
      return new TopicRetention(usageTopic,
          Arrays.stream(value(config, TopicConfig.CLEANUP_POLICY_CONFIG).split(","))
              .map(String::trim).filter(policy -> !policy.isEmpty()).collect(Collectors.toUnmodifiableSet()),
          Long.parseLong(value(config, TopicConfig.RETENTION_MS_CONFIG)),
          Long.parseLong(value(config, TopicConfig.SEGMENT_MS_CONFIG)),
          !"LogAppendTime".equals(value(config, TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG)),
          Long.parseLong(value(config, TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG)));
    } catch (ExecutionException e) {
      // Typically a missing DescribeConfigs permission on the topic: without the topic's retention the
      // service cannot know whether its dedup window is long enough, so it does not start.
      throw new IllegalStateException("cannot read the configuration of " + usageTopic
          + " (needs DescribeConfigs on the topic) to check " + PROPERTY, e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not describe " + usageTopic + " within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing " + usageTopic, e);
    }
  }

  private String value(Config config, String name) {
    ConfigEntry entry = config.get(name);
    if (entry == null || entry.value() == null) {
      throw new IllegalStateException(usageTopic + " reports no " + name);
    }
    return entry.value();
  }
}
