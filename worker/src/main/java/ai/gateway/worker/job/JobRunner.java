package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.config.WorkerProperties;
import ai.gateway.worker.resilience.ProviderCalls;
import io.micrometer.core.instrument.Gauge;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Starts job attempts without blocking (each is a Reactor pipeline, never a thread) and routes CANCELs to
 * the attempts this worker runs.
 *
 * <p>An attempt is started on Reactor's parallel scheduler, not on the caller's thread: the intake's single
 * poll thread only registers it. Starting a call (the RUNNING record, the request's JSON, a connection)
 * costs the poll thread most of its time when 2,000 jobs arrive at once, and done there, one thread's share
 * of the CPU paced the whole start-up ramp (docs/benchmarks.md, "Worker").
 */
@Component
final class JobRunner implements JobLauncher {

  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

  private final JobContext context;
  private final RecentCancels recentCancels;
  /** Usually one run per job id; two when a job was redelivered while its first attempt still runs here. */
  private final ConcurrentHashMap<String, List<JobRun>> running = new ConcurrentHashMap<>();
  /** Attempts handed to the scheduler whose start (and RUNNING record) has not been issued yet. */
  private final Set<CompletableFuture<Void>> starting = ConcurrentHashMap.newKeySet();
  private final Scheduler starter = Schedulers.parallel();

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
    CompletableFuture<Void> started = new CompletableFuture<>();
    starting.add(started);
    Runnable start = () -> {
      try {
        run.start();
      } catch (RuntimeException e) {
        // as when it started on the caller's thread: the attempt counts as failed, its offset stays uncommitted
        log.error("job {} could not be started", job.getJobId(), e);
        run.completion().completeExceptionally(e);
      } finally {
        starting.remove(started);
        started.complete(null);
      }
    };
    try {
      starter.schedule(start);
    } catch (RejectedExecutionException e) {
      start.run(); // the scheduler is shutting down: start here rather than lose the attempt
    }
    return run.completion();
  }

  /** Behind the RUNNING records of every attempt started so far, even those whose start is still queued. */
  @Override
  public CompletableFuture<Void> flush() {
    return CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new))
        .thenCompose(ok -> context.publisher().flush());
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
