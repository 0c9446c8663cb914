package ai.gateway.usage.sink;

import java.time.Clock;
import java.util.Map;

import ai.gateway.usage.config.TopicsProperties;
import ai.gateway.usage.config.UsageProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

@Configuration(proxyBeanMethods = false)
class SinkConfiguration {

  @Bean
  SinkStatus sinkStatus() {
    return new SinkStatus(Clock.systemUTC());
  }

  @Bean
  UsageSink usageSink(KafkaProperties kafka, TopicsProperties topics, UsageProperties usage, JdbcTemplate jdbc,
      PlatformTransactionManager transactions, SinkStatus status, MeterRegistry meters) {
    UsageProperties.Sink sink = usage.sink();
    Map<String, Object> config = consumerConfig(kafka, sink);
    return new UsageSink(() -> new KafkaConsumer<>(config), topics.usageLedger(), topics.usageTotals(),
        new PostgresUsageWriter(jdbc, new TransactionTemplate(transactions)), status, sink.pollTimeout(),
        new Backoff(sink.backoffMin(), sink.backoffMax()), meters);
  }

  static Map<String, Object> consumerConfig(KafkaProperties kafka, UsageProperties.Sink sink) {
    Map<String, Object> config = kafka.buildConsumerProperties();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, sink.groupId());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // Only what the Streams transactions committed: an aborted attempt's totals must never reach the table.
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return config;
  }

  @Bean
  SinkHealthIndicator sinkHealthIndicator(SinkStatus status) {
    return new SinkHealthIndicator(status);
  }
}
