package ai.gateway.api.kafka;

import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import reactor.core.publisher.Mono;

/**
 * Puts jobs and cancel requests on Kafka. Both complete when the broker has acknowledged the record and
 * fail with an {@code ApiException} {@code UNAVAILABLE} (503, {@code Retry-After}) when it has not within
 * {@code gateway.kafka.publish-timeout}. Nothing is sent before subscription.
 */
public interface JobPublisher {

  /** Publishes on {@code ai.jobs}, keyed by the job id. */
  Mono<Void> publish(GenerationJob job);

  /** Publishes on {@code ai.job-control}, keyed by the job id. */
  Mono<Void> control(JobControl control);
}
