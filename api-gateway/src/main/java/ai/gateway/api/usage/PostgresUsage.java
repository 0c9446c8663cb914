package ai.gateway.api.usage;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * Reads the usage aggregator's tables over R2DBC: the per-call ledger {@code ai_usage} for ranges of
 * instants, and {@code ai_usage_daily_totals} for days. Every statement is parameterized and bounded by
 * {@code gateway.usage.query-timeout}; a failing or slow database answers 503 {@code UNAVAILABLE} with
 * {@code Retry-After}, never a 500 and never a partial answer.
 *
 * <p>Sums are cast to {@code bigint} in SQL ({@code sum(bigint)} is {@code numeric}): a total beyond 2^63
 * tokens or micro-USD is an error, not a wrapped number.
 */
final class PostgresUsage {

  private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

  private final DatabaseClient db;
  private final Duration timeout;

  PostgresUsage(DatabaseClient db, Duration timeout) {
    this.db = db;
    this.timeout = timeout;
  }

  /** One user's totals of a day. */
  record DayTotals(LocalDate day, Totals totals) {
  }

  /** One user's totals of a range, for the top list. */
  record UserTotals(String userId, Totals totals) {
  }

  /** The user's calls in {@code [from, to)} by provider, in provider order; providers without calls are absent. */
  Mono<Map<String, Totals>> byProvider(String userId, InstantRange range) {
    return guard(db.sql("""
            select provider, count(*) as requests, sum(total_tokens)::bigint as total_tokens,
                   sum(prompt_tokens)::bigint as prompt_tokens, sum(completion_tokens)::bigint as completion_tokens,
                   sum(cost_micro_usd)::bigint as cost_micro_usd
            from ai_usage
            where user_id = :user and occurred_at >= :from and occurred_at < :to
            group by provider
            order by provider""")
        .bind("user", userId)
        .bind("from", timestamp(range.from()))
        .bind("to", timestamp(range.to()))
        .map((row, meta) -> Map.entry(text(row, "provider"), totals(row)))
        .all()
        .collectList()
        .map(entries -> {
          Map<String, Totals> byProvider = new LinkedHashMap<>();
          entries.forEach(entry -> byProvider.put(entry.getKey(), entry.getValue()));
          return byProvider;
        }));
  }

  /** The user's days of the range that have totals, in order (days without any are absent). */
  Mono<List<DayTotals>> days(String userId, DayRange range) {
    return guard(db.sql("""
            select day, sum(requests)::bigint as requests, sum(total_tokens)::bigint as total_tokens,
                   sum(prompt_tokens)::bigint as prompt_tokens, sum(completion_tokens)::bigint as completion_tokens,
                   sum(cost_micro_usd)::bigint as cost_micro_usd
            from ai_usage_daily_totals
            where user_id = :user and day >= :from and day < :to
            group by day
            order by day""")
        .bind("user", userId)
        .bind("from", range.from())
        .bind("to", range.to())
        .map((row, meta) -> new DayTotals(day(row), totals(row)))
        .all()
        .collectList());
  }

  /** The user's tokens of one UTC day, over every provider and model; 0 when there are none. */
  Mono<Long> tokensOn(String userId, LocalDate day) {
    return guard(db.sql("""
            select coalesce(sum(total_tokens), 0)::bigint as tokens
            from ai_usage_daily_totals
            where user_id = :user and day = :day""")
        .bind("user", userId)
        .bind("day", day)
        .map((row, meta) -> number(row, "tokens"))
        .one());
  }

  /** The users with the highest cost in {@code [from, to)}; ties by tokens, then user id, so the order is stable. */
  Mono<List<UserTotals>> top(InstantRange range, int limit) {
    return guard(db.sql("""
            select user_id, count(*) as requests, sum(total_tokens)::bigint as total_tokens,
                   sum(prompt_tokens)::bigint as prompt_tokens, sum(completion_tokens)::bigint as completion_tokens,
                   sum(cost_micro_usd)::bigint as cost_micro_usd
            from ai_usage
            where occurred_at >= :from and occurred_at < :to
            group by user_id
            order by cost_micro_usd desc, total_tokens desc, user_id
            limit :limit""")
        .bind("from", timestamp(range.from()))
        .bind("to", timestamp(range.to()))
        .bind("limit", limit)
        .map((row, meta) -> new UserTotals(text(row, "user_id"), totals(row)))
        .all()
        .collectList());
  }

  /** Whether the gateway knows the user (its own {@code users} table). */
  Mono<Boolean> userExists(String userId) {
    return guard(db.sql("select exists (select 1 from users where id = :id) as found")
        .bind("id", userId)
        .map((row, meta) -> Boolean.TRUE.equals(row.get("found", Boolean.class)))
        .one());
  }

  private static Totals totals(Readable row) {
    return new Totals(number(row, "requests"), number(row, "total_tokens"), number(row, "prompt_tokens"),
        number(row, "completion_tokens"), number(row, "cost_micro_usd"));
  }

  private static long number(Readable row, String column) {
    Long value = row.get(column, Long.class);
    if (value == null) {
      throw new IllegalStateException(column + " is null");
    }
    return value;
  }

  private static String text(Readable row, String column) {
    String value = row.get(column, String.class);
    if (value == null) {
      throw new IllegalStateException(column + " is null");
    }
    return value;
  }

  private static LocalDate day(Readable row) {
    LocalDate value = row.get("day", LocalDate.class);
    if (value == null) {
      throw new IllegalStateException("day is null");
    }
    return value;
  }

  private static OffsetDateTime timestamp(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }

  private <T> Mono<T> guard(Mono<T> query) {
    return query
        .timeout(timeout, Mono.error(() -> new TimeoutException("no answer from PostgreSQL within " + timeout)))
        .onErrorMap(failure -> !(failure instanceof ApiException),
            failure -> ApiError.of(ErrorCode.UNAVAILABLE, "Usage data is unavailable; try again later.")
                .withRetryAfter(RETRY_AFTER).exception(failure));
  }
}
