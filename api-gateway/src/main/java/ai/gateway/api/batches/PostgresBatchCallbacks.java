package ai.gateway.api.batches;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import ai.gateway.api.jobs.BatchCallbacks;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/** {@code batch.completed} for the jobs' callback delivery: the batch resource as GET /v1/batches/{id} shows it. */
final class PostgresBatchCallbacks implements BatchCallbacks {

  private final PostgresBatches batches;

  PostgresBatchCallbacks(PostgresBatches batches) {
    this.batches = batches;
  }

  @Override
  public Mono<Optional<Due>> claim(UUID batchId, int number) {
    return batches.claimCallbackAttempt(batchId, number).flatMap(claimed -> {
      if (claimed.isEmpty()) {
        return Mono.just(Optional.<Due>empty());
      }
      PostgresBatches.CallbackDue due = claimed.get();
      return batches.counts(batchId).map(counts -> {
        BatchBodies.Batch body = BatchesController.body(due.batch(), counts);
        Instant at = body.completedAt() != null ? body.completedAt() : due.batch().createdAt();
        return Optional.of(new Due(due.batch().userId(), due.url(), "batch.completed", at, body));
      });
    });
  }

  @Override
  public Mono<Boolean> record(UUID batchId, String lastStatus, boolean delivered, boolean givenUp,
                              @Nullable Duration notBefore) {
    return batches.recordCallbackAttempt(batchId, lastStatus, delivered, givenUp, notBefore);
  }

  @Override
  public Mono<Boolean> tooEarly(UUID batchId) {
    return batches.callbackTooEarly(batchId);
  }
}
