package ai.gateway.api.kafka;

import java.time.Instant;

import ai.gateway.schemas.v1.GenerationEvent;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/**
 * The events of {@code ai.replies} for one job: live, as they arrive at this instance, or replayed from the
 * topic at any instance.
 *
 * <p>Live: the listener is registered when the flux of {@link #events} is subscribed, synchronously, so
 * subscribe before publishing the job: events that arrive for a job nobody listens to are dropped. Only jobs
 * whose id {@link #routesHere routes here} reach this instance. The flux completes after the job's first
 * terminal event ({@code DONE} or {@code ERROR}) and fails with {@code UNAVAILABLE} if the subscriber lets
 * more than {@code gateway.kafka.reply-buffer} events pile up.
 */
public interface ReplyStream {

  Flux<GenerationEvent> events(String jobId);

  /** Whether events published from now on will be seen (the consumer knows its partition and position). */
  boolean ready();

  /**
   * Whether replies keyed by this job id land on the partition this instance reads. Job ids are made until
   * one does; false for every id until the instance has claimed its partition.
   */
  boolean routesHere(String jobId);

  /**
   * A job's events after {@code after} (all of them when null), read again from the topic on any instance:
   * in the order the live stream relays them, without duplicates, completing after the terminal event (at
   * once if the caller had already seen it). Fails with {@code TIMEOUT} if the job does not end within
   * {@code gateway.replies.replay-timeout}, with {@code UNAVAILABLE} if Kafka cannot be read or too many
   * replays run. Cold: nothing is read before subscription; cancelling stops the read.
   *
   * @param createdAt when the job was created (a UUIDv7 job id carries it); reading starts a margin before it
   */
  Flux<GenerationEvent> replay(String jobId, Instant createdAt, @Nullable EventPosition after);
}
