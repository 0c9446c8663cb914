package ai.gateway.api.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.InstanceId;
import ai.gateway.api.config.TopicsProperties;
import ai.gateway.api.generate.StreamOwners;
import ai.gateway.api.kafka.JobPublisher;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.util.backoff.FixedBackOff;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

@Configuration(proxyBeanMethods = false)
class JobsConfiguration {

  @Bean
  PostgresJobs postgresJobs(DatabaseClient db, GatewayProperties properties) {
    return new PostgresJobs(db, properties.jobs().queryTimeout());
  }

  @Bean
  AsyncJobs asyncJobs(PostgresJobs jobs, JobPublisher publisher, JsonMapper json, Clock clock, GatewayProperties properties) {
    return new AsyncJobs(jobs, publisher, json, clock, properties.jobs().attemptTimeout(), properties.jobs().lifetime());
  }

  @Bean
  JobSweeper jobSweeper(PostgresJobs jobs, JobPublisher publisher, CallbackQueue callbacks, GatewayProperties properties) {
    GatewayProperties.Jobs settings = properties.jobs();
    // a stream's owner is kept as long as an async job may live: its replay is long over by then
    return new JobSweeper(jobs, publisher, callbacks, settings.sweepInterval(), settings.acceptTimeout(), settings.rejectedRetention(),
        settings.lifetime());
  }

  /** Stream owners are written in batches of up to 500 rows, gathered for at most 20 ms. */
  @Bean
  StreamOwners streamOwners(PostgresJobs jobs) {
    return new BatchedStreamOwners(jobs, Duration.ofMillis(20), 500, Schedulers.parallel());
  }

  /** Publishes a due callback on {@code ai.callbacks} and waits for the broker's answer (the publish timeout). */
  @Bean
  CallbackQueue callbackQueue(KafkaTemplate<String, String> callbackKafkaTemplate, TopicsProperties topics,
                              GatewayProperties properties) {
    Duration publishTimeout = properties.kafka().publishTimeout();
    return key -> {
      try {
        callbackKafkaTemplate.send(topics.callbacks(), key, key).get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while publishing the callback " + key, e);
      } catch (ExecutionException | TimeoutException e) {
        // Thrown: the caller keeps the callback pending and publishes it again.
        throw new IllegalStateException("could not publish the callback " + key, e);
      }
    };
  }

  /**
   * Materializes {@code ai.job-status}: one consumer group shared by every gateway instance, so each record is
   * normally applied by one of them; applying is idempotent anyway (a rebalance may hand a record to a second
   * one). From the earliest offset when the group is new: the topic is compacted, so that is each job's last
   * status. A record that cannot be written (database down) is retried, every second, until it is: the
   * partition waits rather than skipping a job's end. Offsets are committed once per poll, after its records
   * (BATCH): a crash re-applies at most that poll, which changes nothing, whereas a commit per record was a
   * synchronous broker round trip (and an offsets-topic append) for each of the two statuses of every request.
   */
  @Bean
  ConcurrentMessageListenerContainer<String, byte[]> jobStatusListener(KafkaProperties kafka, TopicsProperties topics,
                                                                        GatewayProperties properties, InstanceId instance,
                                                                        PostgresJobs jobs, JsonMapper json,
                                                                        CallbackQueue callbacks) {
    Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, properties.jobs().statusGroup());
    config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, instance.value() + "-job-status");
    config.putAll(properties.kafka().statusGroupConsumerSettings());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    DefaultKafkaConsumerFactory<String, byte[]> factory =
        new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    ContainerProperties container = new ContainerProperties(topics.jobStatus());
    container.setMessageListener(new JobStatusMaterializer(jobs, json, properties.jobs().queryTimeout(), callbacks));
    container.setAckMode(ContainerProperties.AckMode.BATCH);
    ConcurrentMessageListenerContainer<String, byte[]> listener = new ConcurrentMessageListenerContainer<>(factory, container);
    listener.setCommonErrorHandler(new DefaultErrorHandler(new FixedBackOff(1_000, FixedBackOff.UNLIMITED_ATTEMPTS)));
    return listener;
  }
}
