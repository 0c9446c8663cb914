package ai.gateway.api.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.InstanceId;
import ai.gateway.api.config.TopicsProperties;
import ai.gateway.schemas.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;

@Configuration(proxyBeanMethods = false)
class KafkaConfiguration {

  /** Missing topics are created at start by Boot's {@code KafkaAdmin}, with the shared partition and replication settings. */
  @Bean
  KafkaAdmin.NewTopics gatewayTopics(TopicsProperties topics) {
    // ai.callbacks is the gateway's own (not in Topics.ALL); its retry topics come with the retry configuration.
    java.util.List<NewTopic> all = new java.util.ArrayList<>(
        Topics.newTopics(topics.partitions(), topics.replicationFactor(), topics::name));
    all.add(new NewTopic(topics.callbacks(), topics.partitions(), topics.replicationFactor()));
    return new KafkaAdmin.NewTopics(all.toArray(NewTopic[]::new));
  }

  @Bean
  KafkaJobPublisher jobPublisher(KafkaProperties kafka, TopicsProperties topics, GatewayProperties gateway,
                                 InstanceId instance) {
    Duration timeout = gateway.kafka().publishTimeout();
    Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, instance.value() + "-jobs");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // A client waits on every job: Kafka 4's default linger of 5 ms would be added to each request for
    // batching that one-record-per-request traffic does not need.
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    // Bounded so a broker outage fails the publish within the await below instead of after a minute
    // (max.block.ms defaults to 60 s, delivery.timeout.ms to 120 s). Half the budget per request leaves
    // room for one retry.
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(500, timeout.toMillis() / 2));
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(500, timeout.toMillis()));
    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    return new KafkaJobPublisher(producer, topics.jobs(), topics.jobControl(), timeout,
        gateway.kafka().retryAfter(), gateway.kafka().publishThreads());
  }

  @Bean
  PostgresPartitionLeases replyPartitionLeases(DatabaseClient db, ReactiveTransactionManager transactions,
                                               GatewayProperties gateway, InstanceId instance) {
    return new PostgresPartitionLeases(db, TransactionalOperator.create(transactions), instance.value(),
        gateway.replies().leaseTtl());
  }

  @Bean
  KafkaReplay replyReplay(KafkaProperties kafka, TopicsProperties topics, GatewayProperties gateway, InstanceId instance) {
    AtomicInteger replays = new AtomicInteger();
    GatewayProperties.Replies settings = gateway.replies();
    // Distinct client ids keep the replay consumers' metrics apart. A catch-up reads every record of the job's
    // partition from its creation (less the margin) to keep the job's own: larger polls than the default 500.
    return new KafkaReplay(() -> replyConsumer(kafka, instance.value() + "-replay-" + replays.incrementAndGet(), null,
        Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000)),
        topics.replies(), settings.replayMargin(), settings.replayTimeout(), settings.maxReplays());
  }

  /** One consumer of every partition of the reply topic, sharing each job's events among its subscribers here. */
  @Bean
  KafkaReplyTail replyTail(KafkaProperties kafka, TopicsProperties topics, GatewayProperties gateway, InstanceId instance,
                           KafkaReplay replay) {
    return new KafkaReplyTail(() -> replyConsumer(kafka, instance.value() + "-reply-tail", null), replay,
        new KafkaReplyTail.Settings(topics.replies(), gateway.kafka().replyBuffer(), gateway.replies().replayTimeout(),
            gateway.kafka().readyWait(), gateway.kafka().lostAfter(), gateway.kafka().retryAfter()));
  }

  @Bean
  KafkaReplyStream replyStream(KafkaProperties kafka, TopicsProperties topics, GatewayProperties gateway,
                               InstanceId instance, PostgresPartitionLeases leases, KafkaReplyTail tail) {
    Duration checkInterval = gateway.replies().leaseTtl().dividedBy(3);
    return new KafkaReplyStream(() -> replyConsumer(kafka, instance.value() + "-replies", checkInterval), leases, tail,
        new KafkaReplyStream.Settings(topics.replies(), gateway.kafka().replyBuffer(), gateway.kafka().readyWait(),
            checkInterval, gateway.kafka().lostAfter(), gateway.kafka().retryAfter()));
  }

  /**
   * A group-less consumer of the reply topic: it assigns partitions itself and never commits.
   *
   * @param metadataMaxAge how stale the partition count may get (the reply consumer checks it does not change)
   */
  private static KafkaConsumer<String, byte[]> replyConsumer(KafkaProperties kafka, String clientId,
                                                             @Nullable Duration metadataMaxAge) {
    return replyConsumer(kafka, clientId, metadataMaxAge, Map.of());
  }

  private static KafkaConsumer<String, byte[]> replyConsumer(KafkaProperties kafka, String clientId,
                                                             @Nullable Duration metadataMaxAge, Map<String, Object> extra) {
    Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
    config.putAll(extra);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    if (metadataMaxAge != null) {
      config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, (int) Math.max(1_000, metadataMaxAge.toMillis()));
    }
    return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Part of the readiness group: job event subscribers get 503 while the tail cannot read replies. Details: the
   * reply partitions it reads now (those of jobs with subscribers here) and how many jobs have a channel.
   */
  @Bean
  HealthIndicator replyTailHealthIndicator(KafkaReplyTail tail) {
    return () -> tail.ready()
        ? Health.up().withDetail("partitions", tail.assignment().stream().map(TopicPartition::partition).sorted().toList())
            .withDetail("channels", tail.channelCount()).build()
        : Health.down().withDetail("reason", "the reply tail is not connected to Kafka").build();
  }

  /** Part of the readiness group: a gateway that cannot see replies must not take requests. */
  @Bean
  HealthIndicator replyStreamHealthIndicator(KafkaReplyStream replies) {
    return () -> replies.ready() ? Health.up().withDetail("partitions", replies.assignment().toString()).build()
        : Health.down().withDetail("reason", replies.notReadyReason()).build();
  }
}
