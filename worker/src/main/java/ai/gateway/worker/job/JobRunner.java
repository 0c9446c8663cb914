package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.config.WorkerProperties;
import ai.gateway.worker.resilience.ProviderCalls;
import io.micrometer.core.instrument.Gauge;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Starts job attempts without blocking (each is a Reactor pipeline, never a thread) and routes CANCELs to
 * the attempts this worker runs.
 */
@Component
final class JobRunner implements JobLauncher {

  private final JobContext context;
  private final RecentCancels recentCancels;
  /** Usually one run per job id; two when a job was redelivered while its first attempt still runs here. */
  private final ConcurrentHashMap<String, List<JobRun>> running = new ConcurrentHashMap<>();

  JobRunner(ProviderCalls calls, WorkerPublisher publisher, PriceTable prices, ErrorReporting reporting,
      JobMetrics metrics, WorkerIdentity identity, WorkerProperties worker, Clock clock) {
    this.context = new JobContext(identity.id(), worker.leaseDuration(), worker.heartbeatInterval(), calls, publisher,
        prices, reporting, metrics, clock);
    this.recentCancels = new RecentCancels(worker.cancelMemory(), clock);
    Gauge.builder("worker.jobs.running", running, map -> map.values().stream().mapToInt(List::size).sum())
        .description("job attempts running on this worker")
        .register(metrics.registry());
  }

  /**
   * Starts the job and returns at once. The future completes when the attempt ended and all its records
   * are on the broker (then its offset may be committed); it fails if a record could not be written.
   */
  @Override
  public CompletableFuture<Void> start(GenerationJob job) {
    JobRun run = new JobRun(job, context);
    running.compute(job.getJobId(), (id, runs) -> {
      List<JobRun> all = runs == null ? new CopyOnWriteArrayList<>() : runs;
      all.add(run);
      return all;
    });
    run.completion().whenComplete((ok, error) -> running.computeIfPresent(job.getJobId(), (id, runs) -> {
      runs.remove(run);
      return runs.isEmpty() ? null : runs;
    }));
    // registered before looking for an earlier cancel, and cancel() remembers before looking for runs:
    // whichever comes second sees the other
    if (recentCancels.contains(job.getJobId())) {
      run.cancel("cancelled before it started");
    }
    run.start();
    return run.completion();
  }

  @Override
  public CompletableFuture<Void> flush() {
    return context.publisher().flush();
  }

  void cancel(String jobId, @Nullable String reason) {
    recentCancels.remember(jobId);
    List<JobRun> runs = running.get(jobId);
    if (runs != null) {
      runs.forEach(run -> run.cancel(reason));
    }
  }

  boolean isRunning(String jobId) {
    return running.containsKey(jobId);
  }
}
