package ai.gateway.usage.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import ai.gateway.usage.config.TopicsProperties;
import ai.gateway.usage.config.UsageProperties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

class TopologyConfigurationTest {

  private static final TopicsProperties TOPICS =
      new TopicsProperties("ai.usage", "ai.usage.totals", "ai.usage.ledger", 12, (short) 3);
  private static final UsageProperties USAGE = new UsageProperties("usage-aggregator", null, Path.of("/tmp/state"),
      false, Duration.ofMillis(100),
      new UsageProperties.Sink("usage-sink", Duration.ofMillis(500), Duration.ofMillis(200), Duration.ofSeconds(30)));

  @Test
  void shouldRunExactlyOnceV2EvenWhenSpringKafkaPropertiesAskForLess() {
    // given: an operator's override under spring.kafka.streams.properties
    KafkaProperties kafka = new KafkaProperties();
    kafka.setBootstrapServers(List.of("broker:9092"));
    kafka.getStreams().getProperties().put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    kafka.getStreams().getProperties().put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "30000");

    // when
    Properties config = TopologyConfiguration.streamsConfig(kafka, TOPICS, USAGE);

    // then: counting once is not negotiable, and the commit interval is the freshness budget's
    assertThat(config)
        .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
        .containsEntry(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100L)
        .containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "usage-aggregator")
        .containsEntry(StreamsConfig.REPLICATION_FACTOR_CONFIG, 3);
    assertThat(config.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG).toString()).contains("broker:9092");
    assertThat(new StreamsConfig(config).getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG))
        .isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
  }
}
