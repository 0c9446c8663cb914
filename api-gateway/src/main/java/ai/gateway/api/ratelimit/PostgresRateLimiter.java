package ai.gateway.api.ratelimit;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * {@link RateLimiter} shared by every gateway instance through PostgreSQL: one row per user holding the
 * sliding log ({@code rate_limiter_state}), times taken from the database's clock so instances whose
 * clocks disagree still agree on the windows.
 *
 * <p>One check is one transaction: an upsert that creates the row if needed, locks it and returns it with
 * {@code clock_timestamp()} read after the lock was granted; then, if admitted, an update of the log;
 * a rejection rolls back, so it leaves nothing behind. Checks of one user, from any instance, wait for each
 * other on the row lock, which is what makes both windows' check-and-record atomic.
 *
 * <p>Fails closed: a database that errs or does not answer within {@code timeout} makes the check fail
 * with 503 {@code UNAVAILABLE}; the transaction is rolled back when the timeout cancels it.
 */
final class PostgresRateLimiter implements RateLimiter {

  private static final String LOCK_AND_READ = """
      insert into rate_limiter_state (user_id, admitted_us) values (:user, '{}')
      on conflict (user_id) do update set user_id = excluded.user_id
      returning admitted_us, (extract(epoch from clock_timestamp()) * 1000000)::bigint as now_us""";
  private static final String RECORD = """
      update rate_limiter_state set admitted_us = :log, updated_at = clock_timestamp() where user_id = :user""";

  private final DatabaseClient db;
  private final TransactionalOperator transactions;
  private final SlidingWindowLog algorithm;
  private final Duration timeout;
  private final Duration retryAfter;

  PostgresRateLimiter(DatabaseClient db, TransactionalOperator transactions, SlidingWindowLog algorithm, Duration timeout,
                      Duration retryAfter) {
    this.db = db;
    this.transactions = transactions;
    this.algorithm = algorithm;
    this.timeout = timeout;
    this.retryAfter = retryAfter;
  }

  @Override
  public Mono<RateLimitDecision> tryAcquire(String userId) {
    Mono<RateLimitDecision> check = transactions.execute(status -> db.sql(LOCK_AND_READ)
            .bind("user", userId)
            .map((row, meta) -> new Snapshot(unbox(row.get("admitted_us", Long[].class)), row.get("now_us", Long.class)))
            .one()
            .flatMap(snapshot -> {
              SlidingWindowLog.Outcome outcome = algorithm.offer(snapshot.log(), snapshot.now());
              if (!outcome.decision().admitted()) {
                status.setRollbackOnly();
                return Mono.just(outcome.decision());
              }
              return db.sql(RECORD).bind("user", userId).bind("log", box(outcome.log()))
                  .fetch().rowsUpdated()
                  .thenReturn(outcome.decision());
            }))
        .single();
    return check
        .timeout(timeout, Mono.error(() -> new TimeoutException("no answer from PostgreSQL within " + timeout)))
        .onErrorMap(failure -> !(failure instanceof ApiException),
            failure -> ApiError.of(ErrorCode.UNAVAILABLE, "The rate limiter is unavailable; try again later.")
                .withRetryAfter(retryAfter).exception(failure));
  }

  private record Snapshot(long[] log, long now) {
  }

  private static long[] unbox(Long[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static Long[] box(long[] values) {
    Long[] out = new Long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
