package ai.gateway.api.jobs;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Objects;
import java.util.UUID;

import ai.gateway.api.access.Admitted;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.generate.GenerationParams;
import ai.gateway.api.jobs.PostgresJobs.JobRow;
import ai.gateway.api.kafka.JobPublisher;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobControlAction;
import ai.gateway.schemas.v1.JobKind;
import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Accepts async jobs: insert the row (the idempotency key's unique constraint decides between concurrent
 * requests), publish the job, mark the row published, answer 202. A failed publish answers 503 and leaves no
 * job that runs unseen: the row is deleted (no key) or rejected (kept hidden, so that a retry with the same key
 * republishes the same id: if Kafka did write the record despite the error, the workers see one job, not two).
 */
final class AsyncJobs {

  private static final Logger log = LoggerFactory.getLogger(AsyncJobs.class);
  static final String USER_REQUEST = "user-request";

  private final TimeBasedEpochGenerator ids = Generators.timeBasedEpochGenerator();
  private final PostgresJobs jobs;
  private final JobPublisher publisher;
  private final JsonMapper json;
  private final Clock clock;
  private final Duration attemptTimeout;
  private final Duration lifetime;

  AsyncJobs(PostgresJobs jobs, JobPublisher publisher, JsonMapper json, Clock clock, Duration attemptTimeout,
            Duration lifetime) {
    this.jobs = jobs;
    this.publisher = publisher;
    this.json = json;
    this.clock = clock;
    this.attemptTimeout = attemptTimeout;
    this.lifetime = lifetime;
  }

  /** A validated job request. */
  record JobParams(GenerationParams params, @Nullable String callbackUrl, @Nullable Map<String, String> metadata) {
  }

  /** The job a submission ended at, and whether it was an earlier request's (an idempotent replay). */
  record Submitted(UUID id, JobPhase status, boolean replayed) {
  }

  Mono<Submitted> submit(Admitted<JobParams> admitted, @Nullable String idempotencyKey, String requestId) {
    String userId = admitted.caller().userId();
    JobParams request = admitted.request();
    UUID id = ids.generate();
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    GenerationJob job = job(id, userId, request, requestId, now);
    byte[] hash = hash(request);
    PostgresJobs.NewJob row = new PostgresJobs.NewJob(id, userId, Topics.JOBS.valueSerde().serializer().serialize(null, job),
        request.metadata() == null ? null : json.writeValueAsString(request.metadata()), request.callbackUrl(),
        idempotencyKey, hash, now);
    return jobs.insert(row).flatMap(inserted -> inserted
        ? publish(job, idempotencyKey != null).thenReturn(new Submitted(id, JobPhase.QUEUED, false))
        : existing(userId, Objects.requireNonNull(idempotencyKey), hash));
  }

  /** Another request with this key inserted first. */
  private Mono<Submitted> existing(String userId, String key, byte[] hash) {
    return jobs.byKey(userId, key).flatMap(found -> {
      if (found.isEmpty()) {
        return Mono.error(inFlight()); // its publish failed and the row went between our insert and this read
      }
      JobRow row = found.get();
      if (!MessageDigest.isEqual(row.requestHash(), hash)) {
        return Mono.error(new ApiError(ErrorCode.IDEMPOTENCY_CONFLICT, 422,
            "The Idempotency-Key was already used with a different request.", false, null, null, List.of(), false)
            .exception());
      }
      return switch (row.acceptState()) {
        case PUBLISHED -> Mono.just(new Submitted(row.id(), row.status(), true));
        case ACCEPTING -> Mono.error(inFlight());
        case REJECTED -> jobs.reclaim(row.id()).flatMap(reclaimed -> reclaimed
            ? publish(Topics.JOBS.valueSerde().deserializer().deserialize(null, row.request()), true)
                .thenReturn(new Submitted(row.id(), JobPhase.QUEUED, false))
            : Mono.error(inFlight()));
      };
    });
  }

  private static RuntimeException inFlight() {
    return ApiError.of(ErrorCode.IDEMPOTENCY_CONFLICT,
        "A request with this Idempotency-Key is still being accepted; try again shortly.").exception();
  }

  /**
   * Publishes, then marks the row published; on a failed publish the row is rejected or deleted, and the error
   * stays. Runs to its end even if the client goes away meanwhile, so only a crash leaves a row accepting.
   */
  private Mono<Void> publish(GenerationJob job, boolean keyed) {
    return Mono.fromFuture(publishAndMark(job, keyed).toFuture(), true);
  }

  private Mono<Void> publishAndMark(GenerationJob job, boolean keyed) {
    UUID id = UUID.fromString(job.getJobId());
    return publisher.publish(job)
        .onErrorResume(failure -> (keyed ? jobs.markRejected(id) : jobs.deleteUnpublished(id))
            .onErrorResume(cleanup -> {
              // Left accepting: the sweeper republishes it after gateway.jobs.accept-timeout.
              log.warn("job {}: publish failed and the row could not be cleaned up: {}", id, cleanup.toString());
              return Mono.just(false);
            })
            .then(Mono.error(failure)))
        // Published: if this update fails the row stays accepting and the sweeper republishes it (the workers
        // run a job id once).
        .then(jobs.markPublished(id))
        .then();
  }

  /** Publishes a cancel for a queued or running job; 409 for a finished one. */
  Mono<JobRow> cancel(String userId, UUID id) {
    return jobs.find(userId, id).flatMap(found -> {
      JobRow row = found.orElseThrow(JobsController::notFound);
      if (row.status().terminal()) {
        return Mono.error(ApiError.of(ErrorCode.INVALID_REQUEST, "The job has already finished (" + row.status().wire() + ").")
            .withStatus(409).exception());
      }
      JobControl control = JobControl.newBuilder()
          .setJobId(id.toString())
          .setAction(JobControlAction.CANCEL)
          .setUserId(userId)
          .setReason(USER_REQUEST)
          .setRequestedAt(clock.instant().truncatedTo(ChronoUnit.MILLIS))
          .build();
      return publisher.control(control).thenReturn(row);
    });
  }

  private GenerationJob job(UUID id, String userId, JobParams request, String requestId, Instant now) {
    return request.params().job(id.toString(), userId, JobKind.ASYNC, requestId, now)
        .setDeadlineAt(now.plus(lifetime))
        .setAttemptTimeoutMs(attemptTimeout.toMillis())
        .setMetadata(request.metadata() == null ? null : Map.copyOf(request.metadata()))
        .build();
  }

  /**
   * SHA-256 of the request with its defaults applied, in a fixed field order, metadata sorted by key: two bodies
   * that differ only in whitespace, field order or an explicit default are the same request.
   */
  private byte[] hash(JobParams request) {
    GenerationParams p = request.params();
    Map<String, @Nullable Object> canonical = new TreeMap<>();
    canonical.put("prompt", p.prompt());
    canonical.put("systemPrompt", p.systemPrompt());
    canonical.put("provider", p.provider());
    canonical.put("model", p.model());
    canonical.put("maxTokens", p.maxTokens());
    canonical.put("temperature", p.temperature());
    canonical.put("callbackUrl", request.callbackUrl());
    canonical.put("metadata", request.metadata() == null ? null : new TreeMap<>(request.metadata()));
    try {
      return MessageDigest.getInstance("SHA-256").digest(json.writeValueAsBytes(canonical));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
