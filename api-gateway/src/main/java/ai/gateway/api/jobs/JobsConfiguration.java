package ai.gateway.api.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.UUID;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.InstanceId;
import ai.gateway.api.config.TopicsProperties;
import ai.gateway.api.kafka.JobStatusListeners;
import ai.gateway.api.generate.StreamOwners;
import ai.gateway.api.kafka.JobPublisher;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.r2dbc.core.DatabaseClient;
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
   * Materializes {@code ai.job-status} into the jobs table: one consumer group shared by every gateway instance,
   * so each record is normally applied by one of them; applying is idempotent anyway (a rebalance may hand a
   * record to a second one). Offsets, retries and start position: {@link JobStatusListeners}.
   */
  @Bean
  ConcurrentMessageListenerContainer<String, byte[]> jobStatusListener(KafkaProperties kafka, TopicsProperties topics,
                                                                        GatewayProperties properties, InstanceId instance,
                                                                        PostgresJobs jobs, JsonMapper json,
                                                                        CallbackQueue callbacks) {
    return JobStatusListeners.container(kafka, properties, topics.jobStatus(), properties.jobs().statusGroup(),
        instance.value() + "-job-status", new JobStatusMaterializer(jobs, json, properties.jobs().queryTimeout(), callbacks));
  }
}
