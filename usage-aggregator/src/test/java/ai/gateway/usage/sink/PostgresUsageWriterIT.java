package ai.gateway.usage.sink;

import static ai.gateway.usage.UsageFixtures.call;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import ai.gateway.usage.RestartablePostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The writer's SQL on real PostgreSQL with the service's migrations: ledger rows inserted once, totals upserted
 * as absolute values that never go backwards.
 */
class PostgresUsageWriterIT {

  private static final Instant NOON = Instant.parse("2026-11-28T12:00:00Z");
  private static final LocalDate DAY = LocalDate.of(2026, 11, 28);

  private static RestartablePostgres postgres;
  private static JdbcTemplate jdbc;
  private static PostgresUsageWriter writer;

  @BeforeAll
  static void migrate() {
    postgres = RestartablePostgres.start();
    DriverManagerDataSource dataSource = new DriverManagerDataSource(postgres.jdbcUrl());
    Flyway.configure().dataSource(dataSource).table("flyway_schema_history_usage").load().migrate();
    jdbc = new JdbcTemplate(dataSource);
    writer = new PostgresUsageWriter(jdbc, new TransactionTemplate(new DataSourceTransactionManager(dataSource)));
  }

  @AfterAll
  static void stop() {
    postgres.close();
  }

  @Test
  void shouldKeepTheFirstLedgerRowOfAnEventId() {
    // given
    UsageEvent event = call("w1", NOON, "openai", "gpt-4o-mini", 10, 20, 15);
    writer.write(new SinkBatch(List.of(event), List.of()));
    Map<String, Object> first = ledgerRow(event.getEventId());

    // when: the same event again, and a record reusing its id with other counts
    writer.write(new SinkBatch(List.of(event, UsageEvent.newBuilder(event).setPromptTokens(999).build()), List.of()));

    // then
    assertThat(jdbc.queryForObject("SELECT count(*) FROM ai_usage WHERE user_id = 'w1'", Long.class)).isOne();
    assertThat(ledgerRow(event.getEventId())).isEqualTo(first).containsEntry("prompt_tokens", 10L);
  }

  @Test
  void shouldReplaceTotalsWithAbsoluteValuesAndNeverGoBackwards() {
    // given
    writeTotals(totals("w2", 2, 30, NOON.plusSeconds(2)));

    // when: the same value again (a replay of the totals topic)
    writeTotals(totals("w2", 2, 30, NOON.plusSeconds(2)));

    // then: absolute, not added
    assertThat(storedRequestsAndCost("w2")).containsExactly(2L, 30L);

    // when: an older value read again after it (a replay before compaction ran)
    writeTotals(totals("w2", 1, 15, NOON.plusSeconds(1)));

    // then
    assertThat(storedRequestsAndCost("w2")).containsExactly(2L, 30L);

    // when: a recount from zero after an application reset, stamped later but not caught up yet
    writeTotals(totals("w2", 1, 15, NOON.plusSeconds(60)));

    // then
    assertThat(storedRequestsAndCost("w2")).containsExactly(2L, 30L);
    assertThat(storedUpdatedAt("w2")).isEqualTo(NOON.plusSeconds(2));

    // when: the count moves on
    writeTotals(totals("w2", 3, 45, NOON.plusSeconds(61)));

    // then
    assertThat(storedRequestsAndCost("w2")).containsExactly(3L, 45L);
    assertThat(storedUpdatedAt("w2")).isEqualTo(NOON.plusSeconds(61));
  }

  @Test
  void shouldNotRewriteARowWhenAReplayBringsTheSameValue() {
    // given
    writeTotals(totals("w3", 4, 60, NOON));
    long version = rowVersion("w3");

    // when
    writeTotals(totals("w3", 4, 60, NOON));

    // then: the row was not even updated (its transaction id is unchanged)
    assertThat(rowVersion("w3")).isEqualTo(version);
  }

  private static void writeTotals(UsageTotals totals) {
    writer.write(new SinkBatch(List.of(), List.of(totals)));
  }

  private static UsageTotals totals(String userId, long requests, long costMicroUsd, Instant updatedAt) {
    return new UsageTotals(userId, DAY, "openai", "gpt-4o-mini", requests, requests * 10, requests * 20,
        requests * 30, costMicroUsd, 0L, updatedAt);
  }

  private static Map<String, Object> ledgerRow(String eventId) {
    return jdbc.queryForMap("SELECT * FROM ai_usage WHERE event_id = ?", eventId);
  }

  private static List<Long> storedRequestsAndCost(String userId) {
    return jdbc.queryForObject("SELECT requests, cost_micro_usd FROM ai_usage_daily_totals WHERE user_id = ?",
        (row, n) -> List.of(row.getLong(1), row.getLong(2)), userId);
  }

  private static Instant storedUpdatedAt(String userId) {
    return jdbc.queryForObject("SELECT updated_at FROM ai_usage_daily_totals WHERE user_id = ?",
        OffsetDateTime.class, userId).toInstant();
  }

  private static long rowVersion(String userId) {
    return jdbc.queryForObject("SELECT xmin::text::bigint FROM ai_usage_daily_totals WHERE user_id = ?", Long.class,
        userId);
  }
}
