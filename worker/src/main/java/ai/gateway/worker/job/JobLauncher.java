package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import java.util.concurrent.CompletableFuture;

/** What the intake hands jobs to ({@link JobRunner} in the application; a timer in the benchmark). */
@FunctionalInterface
interface JobLauncher {

  /**
   * Starts one attempt of the job (its {@code delivery}) and returns at once. The future completes when the
   * attempt ended and all its records are on the broker; it fails if a record could not be written.
   */
  CompletableFuture<Void> start(GenerationJob job);

  /** Completes once every record issued so far by the attempts is on the broker (or failed). */
  default CompletableFuture<Void> flush() {
    return CompletableFuture.completedFuture(null);
  }
}
