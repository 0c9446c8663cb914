package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.UsageEvent;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * Everything the worker writes. Calls return at once and never block the caller (they may come from an
 * event loop); records are written in call order, so the events of one job, issued one after the other,
 * stay in order. The future completes when the broker has the record.
 */
interface WorkerPublisher {

  /** {@code ai.replies}, keyed by job id. */
  CompletableFuture<Void> reply(GenerationEvent event);

  /** {@code ai.job-status}, keyed by job id. */
  CompletableFuture<Void> status(JobStatus status, JobKind kind);

  /** {@code ai.usage}, keyed by user id. */
  CompletableFuture<Void> usage(UsageEvent usage);

  /** {@code ai.providers}, keyed by worker id; {@code null} is the tombstone of a leaving worker. */
  CompletableFuture<Void> capabilities(String workerId, @Nullable ProviderCapabilities capabilities);

  /** Completes once every record handed over before this call is on the broker (or failed). */
  default CompletableFuture<Void> flush() {
    return CompletableFuture.completedFuture(null);
  }
}
