package ai.gateway.worker.job;

import ai.gateway.worker.config.KafkaClients;
import ai.gateway.worker.config.TopicsProperties;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.config.WorkerProperties;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The batch lane: a second {@link ConsumerGroupJobIntake} on {@code ai.batch-jobs}, in its own consumer group
 * ({@code worker.batch-group-id}) with its own in-flight bound ({@code worker.batch-max-in-flight}). The gateway
 * feeds that topic at most K items in flight per user; here the lane's bound keeps a worker's batch work from ever
 * taking the slots of {@code ai.jobs}, whose intake ({@link ConsumerGroupJobIntake} as a component) is unchanged.
 * Both lanes share the runner, the providers and the publisher: redelivery, attempts and cancel work alike.
 */
@Configuration(proxyBeanMethods = false)
class BatchLaneConfiguration {

  @Bean
  ConsumerGroupJobIntake batchJobIntake(KafkaClients clients, JobRunner runner, TopicsProperties topics,
      WorkerProperties worker, WorkerIdentity identity, JobMetrics metrics, Clock clock) {
    return new ConsumerGroupJobIntake(
        new IntakeSources(clients::batchJobConsumer, clients::statusConsumer, topics.batchJobs(), topics.jobStatus()),
        "batch", worker.batchMaxInFlight(), runner, worker, identity.id(), metrics, clock);
  }
}
