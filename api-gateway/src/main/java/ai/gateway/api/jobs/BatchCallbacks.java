package ai.gateway.api.jobs;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The batches' side of callback delivery: {@code batch.completed} goes through the same topic, retries, signing
 * and address checks as a job's callback; the batches package claims and records its attempts in its own table.
 */
public interface BatchCallbacks {

  /** A record on {@code ai.callbacks} whose value starts with this names a batch. */
  String PREFIX = "batch:";

  /** What one attempt sends: to whom, where, and the event's type, time and resource. */
  record Due(String userId, String url, String type, Instant at, Object data) {
  }

  /** Counts attempt {@code number}; nothing when the callback is settled or that attempt was made already. */
  Mono<Optional<Due>> claim(UUID batchId, int number);

  /**
   * The outcome of the attempt just made; {@code delivered} or {@code givenUp} settle the callback; {@code notBefore}
   * is the receiver's Retry-After, if it gave one.
   */
  Mono<Boolean> record(UUID batchId, String lastStatus, boolean delivered, boolean givenUp,
                       java.time.@Nullable Duration notBefore);

  /** The receiver asked not to be called before a time still to come. */
  Mono<Boolean> tooEarly(UUID batchId);
}
