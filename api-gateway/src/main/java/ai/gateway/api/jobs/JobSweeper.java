package ai.gateway.api.jobs;

import java.time.Duration;
import java.util.UUID;

import ai.gateway.api.kafka.JobPublisher;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Reconciles job rows a crash left behind. A row still {@code accepting} after {@code acceptTimeout} belongs to
 * a request whose gateway died between the insert and the end of the publish (a client that goes away cannot
 * cause one: the accept runs to its end without it). Its record may or may not be on Kafka, so the sweeper
 * <em>republishes</em> it under the same id and marks it published: the workers run a job id once however often
 * it is published, and the job reaches a state its owner can read (a retry with the same key finds it). Rejected
 * rows (a publish that failed and was answered 503) without a key, or past {@code rejectedRetention}, are
 * deleted. Every instance sweeps; the statements are idempotent and a double republish is harmless.
 */
final class JobSweeper implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(JobSweeper.class);
  private static final int BATCH = 100;

  private final PostgresJobs jobs;
  private final JobPublisher publisher;
  private final CallbackQueue callbacks;
  private final Duration interval;
  private final Duration acceptTimeout;
  private final Duration rejectedRetention;
  private final Duration streamRetention;
  private volatile @Nullable Disposable running;

  JobSweeper(PostgresJobs jobs, JobPublisher publisher, CallbackQueue callbacks, Duration interval, Duration acceptTimeout,
             Duration rejectedRetention, Duration streamRetention) {
    this.jobs = jobs;
    this.publisher = publisher;
    this.callbacks = callbacks;
    this.interval = interval;
    this.acceptTimeout = acceptTimeout;
    this.rejectedRetention = rejectedRetention;
    this.streamRetention = streamRetention;
  }

  /**
   * One pass: republishes stale accepting rows, publishes callbacks a failed gateway left due but unpublished
   * (older than the accept timeout, so a live instance's own publish is never raced), then forgets unreachable
   * rejected rows and old stream owners.
   */
  Mono<Void> sweep() {
    return jobs.staleAccepting(acceptTimeout, BATCH)
        .flatMapMany(Flux::fromIterable)
        .concatMap(request -> {
          GenerationJob job = Topics.JOBS.valueSerde().deserializer().deserialize(null, request);
          UUID id = UUID.fromString(job.getJobId());
          log.warn("job {} was left unpublished by a failed gateway; republishing it", id);
          return publisher.publish(job).then(jobs.markPublished(id));
        })
        .thenMany(jobs.strandedCallbacks(acceptTimeout, BATCH).flatMapMany(Flux::fromIterable))
        .concatMap(id -> Mono.fromRunnable(() -> {
          log.warn("the callback of job {} was left unpublished by a failed gateway; publishing it", id);
          callbacks.enqueue(id.toString()); // waits for the broker: off the sweeper's timer thread
        }).subscribeOn(Schedulers.boundedElastic()).then(jobs.markCallbackEnqueued(id)))
        .then(jobs.forgetRejected(rejectedRetention))
        .then(jobs.forgetStreams(streamRetention))
        .then();
  }

  @Override
  public void start() {
    running = Flux.interval(interval, interval, Schedulers.parallel())
        .onBackpressureDrop()
        .concatMap(tick -> sweep().onErrorResume(failure -> {
          log.warn("job sweep failed: {}", failure.toString());
          return Mono.empty();
        }), 1)
        .subscribe();
  }

  @Override
  public void stop() {
    Disposable current = running;
    if (current != null) {
      current.dispose();
      running = null;
    }
  }

  @Override
  public boolean isRunning() {
    return running != null;
  }
}
