package ai.gateway.api.batches;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code batches} and {@code batch_items} tables. Every read the API makes is scoped to the owner and to
 * accepted batches, so another user's batch and one still being received look the same: absent.
 */
final class PostgresBatches {

  private static final Duration RETRY_AFTER = Duration.ofSeconds(2);
  static final String CANCELLED_ERROR = "{\"code\":\"CANCELLED\",\"message\":\"The batch was cancelled.\",\"retryable\":false}";

  private final DatabaseClient db;
  private final TransactionalOperator transactions;
  private final Duration timeout;

  PostgresBatches(DatabaseClient db, TransactionalOperator transactions, Duration timeout) {
    this.db = db;
    this.transactions = transactions;
    this.timeout = timeout;
  }

  enum ItemStatus {
    QUEUED, DISPATCHED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    boolean terminal() {
      return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    static ItemStatus fromWire(String wire) {
      return valueOf(wire.toUpperCase(Locale.ROOT));
    }
  }

  /** One item as stored while the body is read. */
  record NewItem(UUID jobId, int seq, String customId, byte[] request) {
  }

  record BatchRow(UUID id, String userId, boolean cancelRequested, int total, Instant createdAt,
                  @Nullable Instant completedAt) {
  }

  /** A finished item, as a results line needs it. */
  record FinishedItem(String customId, ItemStatus status, @Nullable String resultJson, @Nullable String errorJson) {
  }

  /** An item a feeder claimed: its job id and the stored job. */
  record Claimed(UUID jobId, byte[] request) {
  }

  /** What one {@code ai.job-status} record says of a batch item. */
  record ItemUpdate(UUID jobId, String userId, ItemStatus status, int attempt, Instant at, @Nullable String resultJson,
                    @Nullable String errorJson) {
  }

  // --- receiving

  Mono<Void> insertReceiving(UUID id, String userId, Instant createdAt) {
    return guard(db.sql("insert into batches (id, user_id, created_at) values (:id, :user, :created)")
        .bind("id", id).bind("user", userId).bind("created", createdAt).fetch().rowsUpdated().then());
  }

  /** Writes a chunk of items in one round trip (a statement batch). */
  Mono<Void> insertItems(UUID batchId, String userId, List<NewItem> items) {
    if (items.isEmpty()) {
      return Mono.empty();
    }
    return guard(db.inConnectionMany(connection -> {
      Statement insert = connection.createStatement(
          "insert into batch_items (job_id, batch_id, user_id, seq, custom_id, request) values ($1, $2, $3, $4, $5, $6)");
      boolean first = true;
      for (NewItem item : items) {
        if (!first) {
          insert.add();
        }
        first = false;
        insert.bind(0, item.jobId()).bind(1, batchId).bind(2, userId).bind(3, item.seq()).bind(4, item.customId())
            .bind(5, java.nio.ByteBuffer.wrap(item.request()));
      }
      return Flux.from(insert.execute()).flatMap(result -> result.getRowsUpdated());
    }).then());
  }

  /** The body was read whole and admitted: the batch is shown and fed from now on. */
  Mono<Boolean> activate(UUID id, int total, @Nullable String callbackUrl) {
    DatabaseClient.GenericExecuteSpec spec = db.sql("""
            update batches set state = 'active', total = :total, callback_url = :callback, updated_at = now()
            where id = :id and state = 'receiving'""")
        .bind("id", id).bind("total", total);
    spec = callbackUrl == null ? spec.bindNull("callback", String.class) : spec.bind("callback", callbackUrl);
    return guard(spec.fetch().rowsUpdated().map(count -> count > 0));
  }

  /** A rejected or abandoned body: its rows go (the items with them). Never touches an accepted batch. */
  Mono<Void> discard(UUID id) {
    return db.sql("delete from batches where id = :id and state = 'receiving'").bind("id", id).fetch().rowsUpdated().then();
  }

  /** Uploads a crashed gateway left behind. */
  Mono<Long> forgetAbandoned(Duration age) {
    return db.sql("delete from batches where state = 'receiving' and updated_at < now() - make_interval(secs => :age)")
        .bind("age", age.toMillis() / 1000.0).fetch().rowsUpdated();
  }

  // --- reading

  Mono<Optional<BatchRow>> find(String userId, UUID id) {
    return guard(db.sql("""
            select id, user_id, cancel_requested, total, created_at, completed_at from batches
            where id = :id and user_id = :user and state = 'active'""")
        .bind("id", id).bind("user", userId)
        .map((row, meta) -> batch(row))
        .one().map(Optional::of).defaultIfEmpty(Optional.empty()));
  }

  /** Items by status, and when the last one finished. */
  record Counts(Map<ItemStatus, Long> byStatus, @Nullable Instant lastFinishedAt) {
  }

  Mono<Counts> counts(UUID batchId) {
    return guard(db.sql("""
            select status, count(*) as n, max(finished_at) as last_finished from batch_items
            where batch_id = :id group by status""")
        .bind("id", batchId)
        .map((row, meta) -> new Object[] {ItemStatus.fromWire(row.get("status", String.class)), row.get("n", Long.class),
            row.get("last_finished", Instant.class)})
        .all()
        .collectList()
        .map(rows -> {
          Map<ItemStatus, Long> counts = new EnumMap<>(ItemStatus.class);
          Instant last = null;
          for (Object[] row : rows) {
            counts.put((ItemStatus) row[0], (Long) row[1]);
            Instant finished = (Instant) row[2];
            if (finished != null && (last == null || finished.isAfter(last))) {
              last = finished;
            }
          }
          return new Counts(counts, last);
        }));
  }

  /** Finished items in completion order, streamed from the database (fetched a page at a time). */
  Flux<FinishedItem> finished(UUID batchId) {
    return db.sql("""
            select custom_id, status, result::text as result, error::text as error from batch_items
            where batch_id = :id and finish_order is not null order by finish_order""")
        .bind("id", batchId)
        .filter(statement -> statement.fetchSize(500))
        .map((row, meta) -> new FinishedItem(row.get("custom_id", String.class),
            ItemStatus.fromWire(row.get("status", String.class)), row.get("result", String.class),
            row.get("error", String.class)))
        .all();
  }

  // --- cancelling

  /**
   * Marks the batch cancelled and ends its queued items at once (they never run); returns the job ids of the
   * items already handed to the workers, which need a CANCEL.
   */
  Mono<List<UUID>> cancel(UUID batchId) {
    Mono<List<UUID>> cancel = db.sql("update batches set cancel_requested = true, updated_at = now() where id = :id")
        .bind("id", batchId).fetch().rowsUpdated()
        .then(db.sql("""
                update batch_items set status = 'cancelled', error = cast(:error as jsonb), finished_at = now(),
                  finish_order = nextval('batch_item_finish_order')
                where batch_id = :id and status = 'queued'""")
            .bind("id", batchId).bind("error", CANCELLED_ERROR).fetch().rowsUpdated())
        .then(db.sql("select job_id from batch_items where batch_id = :id and status in ('dispatched', 'running')")
            .bind("id", batchId).map((row, meta) -> row.get("job_id", UUID.class)).all().collectList());
    return guard(transactions.transactional(cancel)).flatMap(ids -> completeIfDone(batchId).thenReturn(ids));
  }

  // --- feeding

  /** Users with batches that may have items to feed. */
  Mono<List<String>> feedingUsers() {
    return db.sql("select distinct user_id from batches where state = 'active' and completed_at is null and not cancel_requested")
        .map((row, meta) -> row.get("user_id", String.class)).all().collectList();
  }

  /**
   * Claims up to {@code maxInFlight} minus the user's items in flight, oldest batch first, in one transaction
   * that holds the user's advisory lock: two feeders (two instances) never count the same room twice. Empty
   * when another feeder holds the user right now.
   */
  Mono<List<Claimed>> claim(String userId, int maxInFlight) {
    Mono<List<Claimed>> claim = db.sql("select pg_try_advisory_xact_lock(hashtextextended('batch-feed:' || :user, 0)) as locked")
        .bind("user", userId)
        .map((row, meta) -> Boolean.TRUE.equals(row.get("locked", Boolean.class)))
        .one()
        .flatMap(locked -> !locked ? Mono.just(List.<Claimed>of()) : db.sql("""
                update batch_items set status = 'dispatched', dispatched_at = now(), published = false
                where job_id in (
                  select i.job_id from batch_items i join batches b on b.id = i.batch_id
                  where i.user_id = :user and i.status = 'queued' and b.state = 'active' and not b.cancel_requested
                  order by i.batch_id, i.seq
                  limit greatest(0, :k - (select count(*) from batch_items
                                          where user_id = :user and status in ('dispatched', 'running')))
                  for update of i skip locked)
                returning job_id, request""")
            .bind("user", userId)
            .bind("k", maxInFlight)
            .map((row, meta) -> new Claimed(row.get("job_id", UUID.class), row.get("request", byte[].class)))
            .all().collectList());
    return transactions.transactional(claim);
  }

  /** Claimed items whose publish was never confirmed for {@code age}: claimed again (for one feeder) to republish. */
  Mono<List<Claimed>> reclaimUnpublished(Duration age, int limit) {
    return db.sql("""
            update batch_items set dispatched_at = now()
            where job_id in (
              select job_id from batch_items
              where status = 'dispatched' and not published and dispatched_at < now() - make_interval(secs => :age)
              order by dispatched_at limit :limit
              for update skip locked)
            returning job_id, request""")
        .bind("age", age.toMillis() / 1000.0)
        .bind("limit", limit)
        .map((row, meta) -> new Claimed(row.get("job_id", UUID.class), row.get("request", byte[].class)))
        .all().collectList();
  }

  Mono<Long> markPublished(List<UUID> jobIds) {
    if (jobIds.isEmpty()) {
      return Mono.just(0L);
    }
    return db.sql("update batch_items set published = true where job_id = any(:ids) and not published")
        .bind("ids", jobIds.toArray(UUID[]::new)).fetch().rowsUpdated();
  }

  // --- statuses

  /**
   * Applies one status record if it moves the item forward: a terminal item never changes; a terminal record ends
   * an unfinished item (and gives it its place in the completion order); RUNNING moves a dispatched item, or a
   * running one to a later attempt. True when it changed the item.
   */
  Mono<Boolean> applyStatus(ItemUpdate update) {
    boolean terminal = update.status().terminal();
    DatabaseClient.GenericExecuteSpec spec = db.sql("""
            update batch_items set
              status = :status,
              published = true,
              attempt = greatest(attempt, :attempt),
              result = coalesce(cast(:result as jsonb), result),
              error = coalesce(cast(:error as jsonb), error),
              finished_at = case when :terminal then :at else finished_at end,
              finish_order = case when :terminal then nextval('batch_item_finish_order') else finish_order end
            where job_id = :id and user_id = :user and status in ('queued', 'dispatched', 'running')
              and (:terminal or (:status = 'running' and (status <> 'running' or attempt < :attempt)))""")
        .bind("id", update.jobId())
        .bind("user", update.userId())
        .bind("status", update.status().wire())
        .bind("attempt", update.attempt())
        .bind("at", update.at())
        .bind("terminal", terminal);
    spec = update.resultJson() == null ? spec.bindNull("result", String.class) : spec.bind("result", update.resultJson());
    spec = update.errorJson() == null ? spec.bindNull("error", String.class) : spec.bind("error", update.errorJson());
    return spec.fetch().rowsUpdated().map(count -> count > 0);
  }

  /** Sets the batch's completion time once none of its items is unfinished; the batch of the given item. */
  Mono<Boolean> completeBatchOf(UUID jobId) {
    return db.sql("select batch_id from batch_items where job_id = :id").bind("id", jobId)
        .map((row, meta) -> row.get("batch_id", UUID.class)).one()
        .flatMap(this::completeIfDone)
        .defaultIfEmpty(false);
  }

  /**
   * Each finishing statement commits before it runs this, so whichever item finishes last sees all the others
   * finished: the batch is completed exactly when its last item ends.
   */
  Mono<Boolean> completeIfDone(UUID batchId) {
    return db.sql("""
            update batches set completed_at = now(), updated_at = now(),
              callback_state = case when callback_url is not null then 'pending' end
            where id = :id and state = 'active' and completed_at is null
              and not exists (select 1 from batch_items
                              where batch_id = :id and status in ('queued', 'dispatched', 'running'))""")
        .bind("id", batchId).fetch().rowsUpdated().map(count -> count > 0);
  }

  /** Completed batches whose callback is due but not yet on {@code ai.callbacks}, oldest first. */
  Mono<List<UUID>> pendingCallbacks(int limit) {
    return guard(db.sql("select id from batches where callback_state = 'pending' order by completed_at limit :limit")
        .bind("limit", limit).map((row, meta) -> row.get("id", UUID.class)).all().collectList());
  }

  /** The delivery record is on Kafka. */
  Mono<Boolean> markCallbackEnqueued(UUID id) {
    return guard(db.sql("update batches set callback_state = 'enqueued' where id = :id and callback_state = 'pending'")
        .bind("id", id).fetch().rowsUpdated().map(count -> count > 0));
  }

  /** A claimed attempt: the batch and where its callback goes. */
  record CallbackDue(BatchRow batch, String url) {
  }

  /**
   * Claims delivery attempt {@code number} (1-based): counts it and returns the batch, or nothing when the callback
   * is settled or that attempt was made already (a redelivered or duplicated record sends nothing).
   */
  Mono<Optional<CallbackDue>> claimCallbackAttempt(UUID id, int number) {
    return guard(db.sql("""
            update batches set callback_attempts = callback_attempts + 1
            where id = :id and callback_state in ('pending', 'enqueued') and callback_attempts < :number
            returning id, user_id, cancel_requested, total, created_at, completed_at, callback_url""")
        .bind("id", id).bind("number", number)
        .map((row, meta) -> Optional.of(new CallbackDue(batch(row), row.get("callback_url", String.class))))
        .one()
        .defaultIfEmpty(Optional.empty()));
  }

  /** The outcome of the attempt just made; {@code delivered} or {@code givenUp} settle the callback. */
  Mono<Boolean> recordCallbackAttempt(UUID id, String lastStatus, boolean delivered, boolean givenUp,
                                      @Nullable Duration notBefore) {
    return guard(db.sql("""
            update batches set callback_last_status = :status,
              callback_state = case when :delivered then 'delivered' when :givenUp then 'failed' else callback_state end,
              callback_not_before = case when :wait > 0 then now() + make_interval(secs => :wait) end
            where id = :id and callback_state in ('pending', 'enqueued')""")
        .bind("id", id).bind("status", lastStatus).bind("delivered", delivered).bind("givenUp", givenUp)
        .bind("wait", notBefore == null ? 0.0 : notBefore.toMillis() / 1000.0)
        .fetch().rowsUpdated().map(count -> count > 0));
  }

  /** The receiver asked (Retry-After) not to be called before a time still to come. */
  Mono<Boolean> callbackTooEarly(UUID id) {
    return guard(db.sql("select 1 from batches where id = :id and callback_not_before > now()")
        .bind("id", id).map((row, meta) -> true).one().defaultIfEmpty(false));
  }

  /** The callback's state, for tests and operators. */
  Mono<Optional<String>> callbackState(UUID id) {
    return guard(db.sql("select callback_state from batches where id = :id").bind("id", id)
        .map((row, meta) -> Optional.ofNullable(row.get("callback_state", String.class))).one()
        .defaultIfEmpty(Optional.empty()));
  }

  private static BatchRow batch(Readable row) {
    return new BatchRow(row.get("id", UUID.class), row.get("user_id", String.class),
        Boolean.TRUE.equals(row.get("cancel_requested", Boolean.class)), row.get("total", Integer.class),
        row.get("created_at", Instant.class), row.get("completed_at", Instant.class));
  }

  private <T> Mono<T> guard(Mono<T> query) {
    return query
        .timeout(timeout, Mono.error(() -> new TimeoutException("no answer from PostgreSQL within " + timeout)))
        .onErrorMap(failure -> !(failure instanceof ApiException),
            failure -> ApiError.of(ErrorCode.UNAVAILABLE, "The batch store is unavailable; try again later.")
                .withRetryAfter(RETRY_AFTER).exception(failure));
  }
}
