package ai.gateway.api.kafka;

import ai.gateway.schemas.v1.GenerationEvent;
import reactor.core.publisher.Flux;

/**
 * The events of {@code ai.replies} for one job, as they arrive.
 *
 * <p>The listener is registered when the returned {@code Flux} is subscribed, synchronously, so
 * subscribe before publishing the job: events that arrive for a job nobody listens to are dropped. The
 * flux completes after the job's first terminal event ({@code DONE} or {@code ERROR}) and fails with
 * {@code UNAVAILABLE} if the subscriber lets more than {@code gateway.kafka.reply-buffer} events pile up.
 */
public interface ReplyStream {

  Flux<GenerationEvent> events(String jobId);

  /** Whether events published from now on will be seen (the consumer knows its positions). */
  boolean ready();
}
