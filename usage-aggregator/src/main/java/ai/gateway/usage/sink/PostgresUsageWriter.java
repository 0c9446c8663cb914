package ai.gateway.usage.sink;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Writes the ledger and the daily totals idempotently (DESIGN.md, principle 1): a ledger row is inserted
 * once per eventId, and totals are absolute values that replace older ones, never increments, so writing
 * a batch twice (a retry, a redelivery after a rebalance, a replay) changes nothing.
 */
final class PostgresUsageWriter implements UsageWriter {

  static final String INSERT_USAGE = """
      INSERT INTO ai_usage (event_id, user_id, job_id, delivery, provider_attempt, provider, model,
          prompt_tokens, completion_tokens, total_tokens, estimated, cost_micro_usd, price_known, outcome,
          error_code, batch_id, occurred_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (event_id) DO NOTHING
      """;

  /**
   * Absolute values replace the row, never add to it. The WHERE keeps the row when the incoming value is not
   * ahead of it in {@link TotalsOrder} (requests, then updatedAt): an older value read again after a replay,
   * or a recount from zero that has not caught up, never lowers a total. An identical value is not written
   * again, so a replay leaves even the row's version untouched.
   */
  static final String UPSERT_TOTALS = """
      INSERT INTO ai_usage_daily_totals AS t (user_id, day, provider, model, requests, prompt_tokens,
          completion_tokens, total_tokens, cost_micro_usd, estimated_requests, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (user_id, day, provider, model) DO UPDATE SET
          requests = EXCLUDED.requests,
          prompt_tokens = EXCLUDED.prompt_tokens,
          completion_tokens = EXCLUDED.completion_tokens,
          total_tokens = EXCLUDED.total_tokens,
          cost_micro_usd = EXCLUDED.cost_micro_usd,
          estimated_requests = EXCLUDED.estimated_requests,
          updated_at = EXCLUDED.updated_at
      WHERE (EXCLUDED.requests, EXCLUDED.updated_at) > (t.requests, t.updated_at)
      """;

  private final JdbcTemplate jdbc;
  private final TransactionTemplate transaction;

  PostgresUsageWriter(JdbcTemplate jdbc, TransactionTemplate transaction) {
    this.jdbc = jdbc;
    this.transaction = transaction;
  }

  @Override
  public void write(SinkBatch batch) {
    if (batch.isEmpty()) {
      return;
    }
    transaction.executeWithoutResult(status -> {
      if (!batch.usage().isEmpty()) {
        jdbc.batchUpdate(INSERT_USAGE, batch.usage(), batch.usage().size(), PostgresUsageWriter::bindUsage);
      }
      if (!batch.totals().isEmpty()) {
        jdbc.batchUpdate(UPSERT_TOTALS, batch.totals(), batch.totals().size(), PostgresUsageWriter::bindTotals);
      }
    });
  }

  private static void bindUsage(PreparedStatement statement, UsageEvent event) throws SQLException {
    statement.setString(1, text(event.getEventId()));
    statement.setString(2, text(event.getUserId()));
    statement.setString(3, text(event.getJobId()));
    statement.setInt(4, event.getDelivery());
    statement.setInt(5, event.getProviderAttempt());
    statement.setString(6, text(event.getProvider()));
    statement.setString(7, text(event.getModel()));
    statement.setLong(8, event.getPromptTokens());
    statement.setLong(9, event.getCompletionTokens());
    statement.setLong(10, event.getTotalTokens());
    statement.setBoolean(11, event.getEstimated());
    statement.setLong(12, event.getCostMicroUsd());
    statement.setBoolean(13, event.getPriceKnown());
    statement.setString(14, event.getOutcome().name());
    statement.setString(15, event.getErrorCode() == null ? null : event.getErrorCode().name());
    statement.setString(16, nullableText(event.getBatchId()));
    statement.setObject(17, timestamp(event.getOccurredAt()), Types.TIMESTAMP_WITH_TIMEZONE);
  }

  private static void bindTotals(PreparedStatement statement, UsageTotals totals) throws SQLException {
    statement.setString(1, text(totals.getUserId()));
    statement.setObject(2, totals.getDay(), Types.DATE);
    statement.setString(3, text(totals.getProvider()));
    statement.setString(4, text(totals.getModel()));
    statement.setLong(5, totals.getRequests());
    statement.setLong(6, totals.getPromptTokens());
    statement.setLong(7, totals.getCompletionTokens());
    statement.setLong(8, totals.getTotalTokens());
    statement.setLong(9, totals.getCostMicroUsd());
    statement.setLong(10, totals.getEstimatedRequests());
    statement.setObject(11, timestamp(totals.getUpdatedAt()), Types.TIMESTAMP_WITH_TIMEZONE);
  }

  private static OffsetDateTime timestamp(Instant instant) {
    return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  /**
   * PostgreSQL's text rejects NUL (ATTACKS #5), and a row it rejects would be retried forever, stopping
   * every later row. Ledger and totals go through the same replacement, so their keys still match.
   */
  static String text(String value) {
    return value.indexOf('\0') < 0 ? value : value.replace('\0', '\uFFFD');
  }

  private static @Nullable String nullableText(@Nullable String value) {
    return value == null ? null : text(value);
  }
}
