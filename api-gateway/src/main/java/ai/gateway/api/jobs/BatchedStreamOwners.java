package ai.gateway.api.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

import ai.gateway.api.generate.StreamOwners;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * Writes the owners of the streams started within a short window in one multi-row insert: a stream's owner is
 * needed only when another instance is asked to resume it, long after its first event, and one statement per
 * stream was the gateway's only database write on the stream path. Each caller's Mono completes when its row is
 * written (or fails with the batch).
 */
final class BatchedStreamOwners implements StreamOwners {

  private record Pending(UUID jobId, String userId, Sinks.Empty<Void> written) {
  }

  private final PostgresJobs jobs;
  private final Duration window;
  private final int maxBatch;
  private final Scheduler scheduler;
  private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean flushScheduled = new AtomicBoolean();

  BatchedStreamOwners(PostgresJobs jobs, Duration window, int maxBatch, Scheduler scheduler) {
    this.jobs = jobs;
    this.window = window;
    this.maxBatch = maxBatch;
    this.scheduler = scheduler;
  }

  @Override
  public Mono<Void> record(String jobId, String userId) {
    return Mono.defer(() -> {
      Pending pending = new Pending(UUID.fromString(jobId), userId, Sinks.empty());
      queue.add(pending);
      scheduleFlush();
      return pending.written().asMono();
    });
  }

  private void scheduleFlush() {
    if (flushScheduled.compareAndSet(false, true)) {
      scheduler.schedule(this::flush, window.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  private void flush() {
    flushScheduled.set(false);
    List<Pending> batch = new ArrayList<>();
    Pending next;
    while (batch.size() < maxBatch && (next = queue.poll()) != null) {
      batch.add(next);
    }
    if (!queue.isEmpty()) {
      scheduleFlush();
    }
    if (batch.isEmpty()) {
      return;
    }
    UUID[] ids = batch.stream().map(Pending::jobId).toArray(UUID[]::new);
    String[] users = batch.stream().map(Pending::userId).toArray(String[]::new);
    jobs.recordStreams(ids, users).subscribe(null,
        failure -> batch.forEach(pending -> pending.written().tryEmitError(failure)),
        () -> batch.forEach(pending -> pending.written().tryEmitEmpty()));
  }
}
