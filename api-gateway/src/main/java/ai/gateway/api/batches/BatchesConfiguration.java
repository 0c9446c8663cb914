package ai.gateway.api.batches;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.InstanceId;
import ai.gateway.api.config.StrictJson;
import ai.gateway.api.config.TopicsProperties;
import ai.gateway.api.kafka.JobStatusListeners;
import ai.gateway.api.generate.GenerateRequestValidator;
import ai.gateway.api.jobs.BatchCallbacks;
import ai.gateway.api.jobs.CallbackQueue;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import tools.jackson.databind.json.JsonMapper;

@Configuration(proxyBeanMethods = false)
class BatchesConfiguration {

  @Bean
  PostgresBatches postgresBatches(DatabaseClient db, ReactiveTransactionManager transactions, GatewayProperties properties) {
    return new PostgresBatches(db, TransactionalOperator.create(transactions), properties.batches().queryTimeout());
  }

  @Bean
  BatchReceiver batchReceiver(StrictJson strictJson, GenerateRequestValidator validator, PostgresBatches batches,
                              Clock clock, GatewayProperties properties) {
    GatewayProperties.Batches settings = properties.batches();
    BatchReader reader = new BatchReader(strictJson, validator, settings.maxItems(),
        (int) Math.min(Integer.MAX_VALUE, settings.maxItemSize().toBytes()), properties.callbacks().allowedHostSet());
    return new BatchReceiver(reader, batches, clock, settings.maxConcurrentUploads(), settings.insertChunk(),
        settings.attemptTimeout(), settings.lifetime(), settings.queryTimeout());
  }

  /** Its own producer: a batch's burst never queues ahead of interactive jobs in the request path's producer. */
  @Bean
  BatchItemPublisher batchItemPublisher(KafkaProperties kafka, TopicsProperties topics, GatewayProperties gateway,
                                        InstanceId instance) {
    Duration timeout = gateway.kafka().publishTimeout();
    Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, instance.value() + "-batch-jobs");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) timeout.toMillis());
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(500, timeout.toMillis() / 2));
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(500, timeout.toMillis()));
    return new BatchItemPublisher(new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer()),
        topics.batchJobs(), timeout);
  }

  @Bean
  BatchCallbacks batchCallbacks(PostgresBatches batches) {
    return new PostgresBatchCallbacks(batches);
  }

  @Bean
  BatchFeeder batchFeeder(PostgresBatches batches, BatchItemPublisher publisher, CallbackQueue callbacks,
                          GatewayProperties properties) {
    GatewayProperties.Batches settings = properties.batches();
    return new BatchFeeder(batches, publisher, callbacks, settings.maxInFlightPerUser(), settings.feedInterval(),
        settings.republishAfter(), settings.receiveTimeout(), settings.queryTimeout());
  }

  /**
   * Applies {@code ai.job-status} to batch items: one consumer group shared by every gateway instance, its own
   * (not the jobs'). Offsets, retries and start position: {@link JobStatusListeners}.
   */
  @Bean
  ConcurrentMessageListenerContainer<String, byte[]> batchStatusListener(KafkaProperties kafka, TopicsProperties topics,
                                                                          GatewayProperties properties, InstanceId instance,
                                                                          PostgresBatches batches, BatchFeeder feeder,
                                                                          JsonMapper json) {
    return JobStatusListeners.container(kafka, properties, topics.jobStatus(), properties.batches().statusGroup(),
        instance.value() + "-batch-status", new BatchStatusMaterializer(batches, feeder, json, properties.batches().queryTimeout()));
  }
}
