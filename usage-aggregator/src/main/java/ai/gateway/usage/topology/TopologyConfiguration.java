package ai.gateway.usage.topology;

import java.time.Duration;
import java.util.Properties;

import ai.gateway.usage.config.TopicsProperties;
import ai.gateway.usage.config.UsageProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class TopologyConfiguration {

  /** Kafka unreachable at start fails the start after this, rather than running without topics. */
  private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);

  @Bean
  UsageStreams usageStreams(KafkaProperties kafka, TopicsProperties topics, UsageProperties usage, MeterRegistry meters) {
    MissingTopics missing = new MissingTopics(kafka.buildAdminProperties(),
        MissingTopics.of(topics.names(), topics.partitions(), topics.replicationFactor()), TOPIC_TIMEOUT);
    DedupRetention dedup = new DedupRetention(kafka.buildAdminProperties(), topics.usage(), usage.dedupRetention(),
        TOPIC_TIMEOUT);
    return new UsageStreams(() -> {
      missing.create();
      Duration retention = dedup.resolve();
      return new UsageStreams.Plan(UsageTopology.build(topics.names(), retention), retention);
    }, streamsConfig(kafka, topics, usage), meters, usage.cleanUpStateOnStop());
  }

  static Properties streamsConfig(KafkaProperties kafka, TopicsProperties topics, UsageProperties usage) {
    Properties config = new Properties();
    config.putAll(kafka.buildStreamsProperties());
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, usage.applicationId());
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    config.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) topics.replicationFactor());
    config.put(StreamsConfig.STATE_DIR_CONFIG, usage.stateDir().toAbsolutePath().toString());
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, usage.commitInterval().toMillis());
    // A record that cannot be decoded can never be counted; stopping the aggregator for it would stop
    // counting everyone else's usage too. It is logged and counted in the skipped-records metric.
    config.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    return config;
  }

  @Bean
  StreamsHealthIndicator streamsHealthIndicator(UsageStreams streams) {
    return new StreamsHealthIndicator(streams);
  }
}
