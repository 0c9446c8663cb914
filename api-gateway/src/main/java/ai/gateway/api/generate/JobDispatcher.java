package ai.gateway.api.generate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import ai.gateway.api.access.Admitted;
import ai.gateway.api.config.InstanceId;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.kafka.JobPublisher;
import ai.gateway.api.kafka.ReplyStream;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobControlAction;
import ai.gateway.schemas.v1.JobKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs one sync or stream job: make an id whose replies come back to this instance, listen for its replies,
 * publish it, relay the replies until the first terminal one or the deadline. A client that goes away before the end, and a deadline that passes, make
 * it publish a {@code CANCEL} so the worker stops the provider call.
 */
final class JobDispatcher {

  private static final Logger log = LoggerFactory.getLogger(JobDispatcher.class);
  static final String CLIENT_DISCONNECTED = "client-disconnected";
  static final String DEADLINE_EXCEEDED = "deadline-exceeded";
  static final String GATEWAY_FAILED = "gateway-error";

  private final JobIds jobIds = new JobIds();
  private final JobPublisher publisher;
  private final ReplyStream replies;
  private final InstanceId instance;
  private final Duration deadline;
  private final Duration unavailableRetryAfter;
  private final Clock clock;

  JobDispatcher(JobPublisher publisher, ReplyStream replies, InstanceId instance, Duration deadline,
                Duration unavailableRetryAfter, Clock clock) {
    this.publisher = publisher;
    this.unavailableRetryAfter = unavailableRetryAfter;
    this.replies = replies;
    this.instance = instance;
    this.deadline = deadline;
    this.clock = clock;
  }

  /** Work that passed the admission checks ({@link Admitted} is made only by them). */
  record Submission(Admitted<GenerationParams> admitted, String requestId, JobKind kind) {

    String userId() {
      return admitted.caller().userId();
    }

    GenerationParams params() {
      return admitted.request();
    }
  }

  /** A submitted job: its id, and its replies, cold (subscribing publishes the job; subscribe once). */
  record Run(String jobId, Flux<Reply> replies) {
  }

  Run submit(Submission submission) {
    // The id decides which partition of ai.replies the workers answer on: make one this instance reads. An
    // instance that is not ready has no partition; its run is refused below, so any id will do.
    String jobId = replies.ready() ? jobIds.next(replies::routesHere) : jobIds.next();
    return new Run(jobId, Flux.defer(() -> run(jobId, submission)));
  }

  private Flux<Reply> run(String jobId, Submission submission) {
    if (!replies.ready()) {
      // the same Retry-After as a publish that timed out: which of the two a client meets is a race
      return Flux.error(ApiError.of(ErrorCode.UNAVAILABLE, "The gateway is starting or has lost Kafka; try again.")
          .withRetryAfter(unavailableRetryAfter).exception());
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    GenerationJob job = job(jobId, submission, now);
    String userId = submission.userId();
    ReplyOrder order = new ReplyOrder();
    AtomicBoolean published = new AtomicBoolean();
    AtomicBoolean finished = new AtomicBoolean();

    Flux<Reply> fromWorkers = replies.events(jobId).<Reply>mapNotNull(Reply::from).filter(order::admit);
    Mono<Reply> publish = publisher.publish(job).doOnSuccess(done -> published.set(true)).then(Mono.empty());
    Mono<Reply> expiry = Mono.delay(deadline).<Reply>map(tick -> Reply.Failed.local(
        ApiError.of(ErrorCode.TIMEOUT, "The request did not finish within " + deadline.toSeconds() + " s.")));

    // merge subscribes in order: the listener is registered before the job is published.
    return Flux.merge(fromWorkers, publish, expiry)
        .takeUntil(Reply::terminal)
        .doOnNext(reply -> {
          if (reply.terminal()) {
            finished.set(true);
            if (reply.local()) {
              cancel(jobId, userId, DEADLINE_EXCEEDED);
            }
          }
        })
        .doOnError(failure -> {
          if (published.get() && finished.compareAndSet(false, true)) {
            cancel(jobId, userId, GATEWAY_FAILED); // the client gets an error; the answer would go nowhere
          }
        })
        .doOnCancel(() -> {
          if (finished.compareAndSet(false, true)) {
            cancel(jobId, userId, CLIENT_DISCONNECTED);
          }
        });
  }

  private GenerationJob job(String jobId, Submission submission, Instant now) {
    return submission.params().job(jobId, submission.userId(), submission.kind(), submission.requestId(), now)
        .setDeadlineAt(now.plus(deadline))
        .setReplyTo(instance.value())
        .build();
  }

  private void cancel(String jobId, String userId, String reason) {
    JobControl control = JobControl.newBuilder()
        .setJobId(jobId)
        .setAction(JobControlAction.CANCEL)
        .setUserId(userId)
        .setReason(reason)
        .setRequestedAt(clock.instant().truncatedTo(ChronoUnit.MILLIS))
        .build();
    // Not tied to the request: it is already gone (or answered) when this runs.
    publisher.control(control).subscribe(
        done -> { },
        failure -> log.warn("could not publish cancel of job {} ({}): {}", jobId, reason, failure.getMessage()),
        () -> log.debug("published cancel of job {} ({})", jobId, reason));
  }

  /**
   * Keeps replies in attempt order: drops an older attempt's late events and duplicates, so a reply
   * redelivered by a producer retry is not shown twice.
   */
  static final class ReplyOrder {

    private int attempt;
    private int lastSeq;

    boolean admit(Reply reply) {
      if (reply.attempt() < attempt) {
        return false;
      }
      if (reply.attempt() > attempt) {
        attempt = reply.attempt();
        lastSeq = reply.seq();
        return true;
      }
      if (reply.seq() <= lastSeq) {
        return false;
      }
      lastSeq = reply.seq();
      return true;
    }
  }
}
