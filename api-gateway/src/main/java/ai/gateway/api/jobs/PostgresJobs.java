package ai.gateway.api.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import io.r2dbc.spi.Readable;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * The {@code jobs} table. Every read the API makes is scoped to the owner and to published rows, so another
 * user's job and a job that was never accepted look the same: absent.
 */
final class PostgresJobs {

  private static final Duration RETRY_AFTER = Duration.ofSeconds(2);
  private static final String COLUMNS = """
      id, user_id, status, accept_state, request, metadata::text as metadata, callback_url, request_hash,
      result::text as result, error::text as error, attempt, created_at, started_at, finished_at, callback_state,
      callback_attempts, callback_last_status""";

  private final DatabaseClient db;
  private final Duration timeout;

  PostgresJobs(DatabaseClient db, Duration timeout) {
    this.db = db;
    this.timeout = timeout;
  }

  enum AcceptState { ACCEPTING, PUBLISHED, REJECTED }

  /** A new row, not yet published. */
  record NewJob(UUID id, String userId, byte[] request, @Nullable String metadataJson, @Nullable String callbackUrl,
                @Nullable String idempotencyKey, byte[] requestHash, Instant createdAt) {
  }

  record JobRow(UUID id, String userId, JobPhase status, AcceptState acceptState, byte[] request,
                @Nullable String metadataJson, @Nullable String callbackUrl, byte[] requestHash,
                @Nullable String resultJson, @Nullable String errorJson, int attempt, Instant createdAt,
                @Nullable Instant startedAt, @Nullable Instant finishedAt, @Nullable String callbackState,
                int callbackAttempts, @Nullable String callbackLastStatus) {
  }

  /** What one {@code ai.job-status} record says of a job. */
  record StatusUpdate(UUID id, String userId, JobPhase phase, int attempt, Instant at, @Nullable String resultJson,
                      @Nullable String errorJson) {
  }

  /**
   * Inserts the row unless the user already has one with this idempotency key: true when inserted. The
   * unique constraint decides between concurrent requests with one key; exactly one of them inserts.
   */
  Mono<Boolean> insert(NewJob job) {
    DatabaseClient.GenericExecuteSpec spec = db.sql("""
            insert into jobs (id, user_id, request, metadata, callback_url, idempotency_key, request_hash, created_at)
            values (:id, :user, :request, cast(:metadata as jsonb), :callback, :key, :hash, :created)
            on conflict (user_id, idempotency_key) do nothing
            returning id""")
        .bind("id", job.id())
        .bind("user", job.userId())
        .bind("request", job.request())
        .bind("hash", job.requestHash())
        .bind("created", job.createdAt());
    spec = bindNullable(spec, "metadata", job.metadataJson());
    spec = bindNullable(spec, "callback", job.callbackUrl());
    spec = bindNullable(spec, "key", job.idempotencyKey());
    return guard(spec.map((row, meta) -> true).one().defaultIfEmpty(false));
  }

  /** Any row of this user with this key, whatever its accept state. */
  Mono<Optional<JobRow>> byKey(String userId, String idempotencyKey) {
    return guard(db.sql("select " + COLUMNS + " from jobs where user_id = :user and idempotency_key = :key")
        .bind("user", userId)
        .bind("key", idempotencyKey)
        .map((row, meta) -> row(row))
        .one()
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty()));
  }

  /** The user's published job with this id. */
  Mono<Optional<JobRow>> find(String userId, UUID id) {
    return guard(db.sql("select " + COLUMNS + " from jobs where id = :id and user_id = :user and accept_state = 'published'")
        .bind("id", id)
        .bind("user", userId)
        .map((row, meta) -> row(row))
        .one()
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty()));
  }

  /** The owners of jobs streamed with POST /v1/generate/stream (see {@link ai.gateway.api.generate.StreamOwners}). */
  Mono<Void> recordStreams(UUID[] ids, String[] userIds) {
    return guard(db.sql("insert into stream_jobs (job_id, user_id) select * from unnest(:ids, :users) on conflict do nothing")
        .bind("ids", ids).bind("users", userIds).fetch().rowsUpdated()).then();
  }

  Mono<Boolean> ownsStream(String userId, UUID id) {
    return guard(db.sql("select 1 from stream_jobs where job_id = :id and user_id = :user")
        .bind("id", id).bind("user", userId).map((row, meta) -> true).one().defaultIfEmpty(false));
  }

  /** Forgets the owners of streams older than {@code retention}: their jobs ended long ago. */
  Mono<Long> forgetStreams(Duration retention) {
    return guard(db.sql("delete from stream_jobs where created_at < now() - make_interval(secs => :seconds)")
        .bind("seconds", (double) retention.toSeconds()).fetch().rowsUpdated());
  }

  /** The user's published jobs, newest first, with ids below {@code after} when given. */
  Mono<List<JobRow>> list(String userId, @Nullable UUID after, int limit) {
    DatabaseClient.GenericExecuteSpec spec = db.sql("select " + COLUMNS + """
             from jobs where user_id = :user and accept_state = 'published'
              and (cast(:after as uuid) is null or id < cast(:after as uuid))
            order by id desc limit :limit""")
        .bind("user", userId)
        .bind("limit", limit);
    spec = after == null ? spec.bindNull("after", UUID.class) : spec.bind("after", after);
    return guard(spec.map((row, meta) -> row(row)).all().collectList());
  }

  /** The job is on Kafka: shown from now on, whatever the row's accept state was (a sweeper may have raced a slow publish). */
  Mono<Boolean> markPublished(UUID id) {
    return guard(db.sql("update jobs set accept_state = 'published', updated_at = now() where id = :id and accept_state <> 'published'")
        .bind("id", id).fetch().rowsUpdated().map(count -> count > 0));
  }

  /** After a failed publish of a job with an idempotency key: kept, hidden, for a retry with that key. */
  Mono<Boolean> markRejected(UUID id) {
    return setAcceptState(id, AcceptState.ACCEPTING, AcceptState.REJECTED);
  }

  /** A retry takes a rejected row back to accepting; false if another request took it first. */
  Mono<Boolean> reclaim(UUID id) {
    return setAcceptState(id, AcceptState.REJECTED, AcceptState.ACCEPTING);
  }

  /** After a failed publish of a job without a key: nothing could ever find the row again. */
  Mono<Boolean> deleteUnpublished(UUID id) {
    return guard(db.sql("delete from jobs where id = :id and accept_state <> 'published'")
        .bind("id", id).fetch().rowsUpdated().map(count -> count > 0));
  }

  private Mono<Boolean> setAcceptState(UUID id, AcceptState from, AcceptState to) {
    return guard(db.sql("""
            update jobs set accept_state = :to, updated_at = now() where id = :id and accept_state = :from""")
        .bind("id", id)
        .bind("from", wire(from))
        .bind("to", wire(to))
        .fetch().rowsUpdated().map(count -> count > 0));
  }

  /** What applying a status record did: whether it moved the job, and whether that made its callback due. */
  enum Applied { NOTHING, MOVED, MOVED_CALLBACK_DUE }

  /**
   * Applies one status record if it moves the job forward ({@link JobPhase#advances}). Safe to run again and from
   * several instances at once: a replayed or stale record matches no row, so exactly one apply makes a callback due.
   */
  Mono<Applied> applyStatus(StatusUpdate update) {
    boolean terminal = update.phase().terminal();
    DatabaseClient.GenericExecuteSpec spec = db.sql("""
            update jobs set
              status = :status,
              attempt = greatest(attempt, :attempt),
              started_at = case when :startedKnown then coalesce(started_at, :at) else started_at end,
              finished_at = case when :terminal then :at else finished_at end,
              result = coalesce(cast(:result as jsonb), result),
              error = coalesce(cast(:error as jsonb), error),
              -- The first terminal state makes the callback due, in the same statement: exactly one apply does.
              callback_state = case when :terminal and callback_url is not null then 'pending' else callback_state end,
              updated_at = now()
            where id = :id and user_id = :user and status in ('queued', 'running')
              and (:terminal or (:status = 'running' and (status = 'queued' or attempt < :attempt)))
            returning callback_state""")
        .bind("id", update.id())
        .bind("user", update.userId())
        .bind("status", update.phase().wire())
        .bind("attempt", update.attempt())
        .bind("at", update.at())
        .bind("terminal", terminal)
        // A job that ran has started; when its RUNNING record was compacted away, its end is the best bound known.
        .bind("startedKnown", update.phase() != JobPhase.CANCELLED);
    spec = bindNullable(spec, "result", update.resultJson());
    spec = bindNullable(spec, "error", update.errorJson());
    return spec.map((row, meta) -> "pending".equals(row.get("callback_state", String.class))
            ? Applied.MOVED_CALLBACK_DUE : Applied.MOVED)
        .one()
        .defaultIfEmpty(Applied.NOTHING);
  }

  /**
   * Jobs whose callback became due more than {@code age} ago and is still not on Kafka: a gateway died between
   * the apply and the publish. Oldest first.
   */
  Mono<List<UUID>> strandedCallbacks(Duration age, int limit) {
    return guard(db.sql("""
            select id from jobs where callback_state = 'pending' and updated_at < now() - make_interval(secs => :age)
            order by updated_at limit :limit""")
        .bind("age", age.toMillis() / 1000.0).bind("limit", limit)
        .map((row, meta) -> row.get("id", UUID.class)).all().collectList());
  }

  /** The delivery record is on Kafka. */
  Mono<Boolean> markCallbackEnqueued(UUID id) {
    return db.sql("update jobs set callback_state = 'enqueued' where id = :id and callback_state = 'pending'")
        .bind("id", id).fetch().rowsUpdated().map(count -> count > 0);
  }

  /**
   * Claims delivery attempt {@code number} (1-based): counts it and returns the row, or nothing when the callback
   * is settled or that attempt was already made (a redelivered or duplicated record sends nothing).
   */
  Mono<Optional<JobRow>> claimCallbackAttempt(UUID id, int number) {
    return db.sql("update jobs set callback_attempts = callback_attempts + 1 "
            + "where id = :id and callback_state in ('pending', 'enqueued') and callback_attempts < :number "
            + "returning " + COLUMNS)
        .bind("id", id)
        .bind("number", number)
        .map((row, meta) -> Optional.of(row(row)))
        .one()
        .defaultIfEmpty(Optional.empty());
  }

  /** The outcome of the attempt just made; {@code delivered} or {@code givenUp} settle the callback. */
  Mono<Boolean> recordCallbackAttempt(UUID id, String lastStatus, boolean delivered, boolean givenUp,
                                      @Nullable Duration notBefore) {
    return db.sql("""
            update jobs set callback_last_status = :status,
              callback_state = case when :delivered then 'delivered' when :givenUp then 'failed' else callback_state end,
              callback_not_before = case when :wait > 0 then now() + make_interval(secs => :wait) end
            where id = :id and callback_state in ('pending', 'enqueued')""")
        .bind("id", id)
        .bind("status", lastStatus)
        .bind("delivered", delivered)
        .bind("givenUp", givenUp)
        .bind("wait", notBefore == null ? 0.0 : notBefore.toMillis() / 1000.0)
        .fetch().rowsUpdated().map(count -> count > 0);
  }

  /** The receiver asked (Retry-After) not to be called before a time still to come. */
  Mono<Boolean> callbackTooEarly(UUID id) {
    return db.sql("select 1 from jobs where id = :id and callback_not_before > now()")
        .bind("id", id).map((row, meta) -> true).one().defaultIfEmpty(false);
  }

  /** The stored jobs of rows a crash left accepting for longer than {@code acceptTimeout}, oldest first. */
  Mono<List<byte[]>> staleAccepting(Duration acceptTimeout, int limit) {
    return db.sql("""
            select request from jobs
            where accept_state = 'accepting' and updated_at < now() - make_interval(secs => :age)
            order by updated_at limit :limit""")
        .bind("age", acceptTimeout.toMillis() / 1000.0)
        .bind("limit", limit)
        .map((row, meta) -> row.get("request", byte[].class))
        .all().collectList();
  }

  /** Rejected rows no retry can reach any more: without a key, or past the retention of their key. */
  Mono<Long> forgetRejected(Duration retention) {
    return db.sql("""
            delete from jobs where accept_state = 'rejected'
              and (idempotency_key is null or updated_at < now() - make_interval(secs => :age))""")
        .bind("age", retention.toMillis() / 1000.0)
        .fetch().rowsUpdated();
  }

  private static JobRow row(Readable row) {
    return new JobRow(
        row.get("id", UUID.class),
        row.get("user_id", String.class),
        JobPhase.fromWire(row.get("status", String.class)),
        AcceptState.valueOf(row.get("accept_state", String.class).toUpperCase(java.util.Locale.ROOT)),
        row.get("request", byte[].class),
        row.get("metadata", String.class),
        row.get("callback_url", String.class),
        row.get("request_hash", byte[].class),
        row.get("result", String.class),
        row.get("error", String.class),
        row.get("attempt", Integer.class),
        row.get("created_at", Instant.class),
        row.get("started_at", Instant.class),
        row.get("finished_at", Instant.class),
        row.get("callback_state", String.class),
        row.get("callback_attempts", Integer.class),
        row.get("callback_last_status", String.class));
  }

  private static String wire(AcceptState state) {
    return state.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static DatabaseClient.GenericExecuteSpec bindNullable(DatabaseClient.GenericExecuteSpec spec, String name,
                                                                @Nullable String value) {
    return value == null ? spec.bindNull(name, String.class) : spec.bind(name, value);
  }

  private <T> Mono<T> guard(Mono<T> query) {
    return query
        .timeout(timeout, Mono.error(() -> new TimeoutException("no answer from PostgreSQL within " + timeout)))
        .onErrorMap(failure -> !(failure instanceof ApiException),
            failure -> ApiError.of(ErrorCode.UNAVAILABLE, "The job store is unavailable; try again later.")
                .withRetryAfter(RETRY_AFTER).exception(failure));
  }
}
