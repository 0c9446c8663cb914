package ai.gateway.usage.topology;

import static ai.gateway.usage.UsageFixtures.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import ai.gateway.schemas.v1.UsageTotalsKey;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The production topology ({@link UsageTopology#build}) under {@link TopologyTestDriver}. */
class UsageTopologyTest {

  private static final TopologyNames NAMES = TopologyNames.defaults();
  private static final Duration RETENTION = Duration.ofHours(1);
  private static final Instant START = Instant.parse("2026-11-28T12:00:00Z");
  private static final Instant NOON = Instant.parse("2026-11-28T12:00:00Z");
  private static final LocalDate DAY = LocalDate.of(2026, 11, 28);

  @TempDir
  Path stateDir;

  private TopologyTestDriver driver;
  private TestInputTopic<String, UsageEvent> usage;
  private TestOutputTopic<UsageTotalsKey, UsageTotals> totals;
  private TestOutputTopic<String, UsageEvent> ledger;

  @BeforeEach
  void startDriver() {
    start(Clock.systemUTC());
  }

  private void start(Clock clock) {
    Properties config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, "usage-aggregator-test");
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(UsageTopology.build(NAMES, RETENTION, clock), config, START);
    usage = driver.createInputTopic(NAMES.usage(),
        Topics.USAGE.keySerde().serializer(), Topics.USAGE.valueSerde().serializer());
    totals = driver.createOutputTopic(NAMES.usageTotals(),
        Topics.USAGE_TOTALS.keySerde().deserializer(), Topics.USAGE_TOTALS.valueSerde().deserializer());
    ledger = driver.createOutputTopic(NAMES.usageLedger(),
        Serdes.String().deserializer(), Topics.USAGE.valueSerde().deserializer());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  private void send(UsageEvent event) {
    usage.pipeInput(event.getUserId(), event);
  }

  @Test
  void shouldTotalPerUserUtcDayProviderAndModel() {
    // given
    send(call("u1", NOON, "openai", "gpt-4o-mini", 10, 20, 15));
    send(call("u1", NOON.plusSeconds(60), "openai", "gpt-4o-mini", 1, 2, 3));
    send(call("u1", NOON, "anthropic", "claude-sonnet", 5, 5, 100));
    send(call("u2", NOON, "openai", "gpt-4o-mini", 7, 0, 1));
    UsageEvent estimated = call("u2", NOON).setEstimated(true)
        .setPromptTokens(4).setCompletionTokens(4).setTotalTokens(8).setCostMicroUsd(2).build();
    send(estimated);

    // when
    Map<UsageTotalsKey, UsageTotals> latest = totals.readKeyValuesToMap();

    // then
    assertThat(latest).hasSize(3);
    assertTotals(latest.get(key("u1", DAY, "openai", "gpt-4o-mini")), 2, 11, 22, 33, 18, 0);
    assertTotals(latest.get(key("u1", DAY, "anthropic", "claude-sonnet")), 1, 5, 5, 10, 100, 0);
    assertTotals(latest.get(key("u2", DAY, "openai", "gpt-4o-mini")), 2, 11, 4, 15, 3, 1);
    UsageTotals u2 = latest.get(key("u2", DAY, "openai", "gpt-4o-mini"));
    assertThat(List.of(u2.getUserId(), u2.getProvider(), u2.getModel())).containsExactly("u2", "openai", "gpt-4o-mini");
    assertThat(u2.getDay()).isEqualTo(DAY);
    assertThat(totalsStore().get(key("u1", DAY, "openai", "gpt-4o-mini")).getRequests()).isEqualTo(2);
  }

  @Test
  void shouldCountADuplicateEventIdOnce() {
    // given
    UsageEvent event = call("u1", NOON, "openai", "gpt-4o-mini", 10, 20, 15);
    UsageEvent other = call("u1", NOON, "openai", "gpt-4o-mini", 1, 1, 1);

    // when: a producer retry, then a redelivery after another event
    send(event);
    send(event);
    send(other);
    driver.advanceWallClockTime(RETENTION.minusMinutes(1));
    send(event);

    // then
    UsageTotals total = totals.readKeyValuesToMap().get(key("u1", DAY, "openai", "gpt-4o-mini"));
    assertTotals(total, 2, 11, 21, 32, 16, 0);
    assertThat(ledger.readValuesToList()).extracting(UsageEvent::getEventId)
        .containsExactly(event.getEventId(), other.getEventId());
  }

  @Test
  void shouldSplitDaysAtUtcMidnight() {
    // given
    Instant lastMillisecondOfDay = Instant.parse("2026-11-28T23:59:59.999Z");
    Instant midnight = Instant.parse("2026-11-29T00:00:00Z");

    // when: 00:30 on the 29th in Paris is still the 28th in UTC
    send(call("u1", lastMillisecondOfDay, "openai", "gpt-4o-mini", 1, 1, 1));
    send(call("u1", OffsetDateTime.parse("2026-11-29T00:30:00+01:00").toInstant(), "openai", "gpt-4o-mini", 1, 1, 1));
    send(call("u1", midnight, "openai", "gpt-4o-mini", 2, 2, 2));

    // then
    Map<UsageTotalsKey, UsageTotals> latest = totals.readKeyValuesToMap();
    assertThat(latest.keySet()).containsExactlyInAnyOrder(
        key("u1", DAY, "openai", "gpt-4o-mini"), key("u1", DAY.plusDays(1), "openai", "gpt-4o-mini"));
    assertTotals(latest.get(key("u1", DAY, "openai", "gpt-4o-mini")), 2, 2, 2, 4, 2, 0);
    assertTotals(latest.get(key("u1", DAY.plusDays(1), "openai", "gpt-4o-mini")), 1, 2, 2, 4, 2, 0);
  }

  @Test
  void shouldWriteEachDistinctEventToTheLedgerOnceKeyedByEventId() {
    // given
    UsageEvent first = call("u1", NOON, "openai", "gpt-4o-mini", 1, 2, 3);
    UsageEvent second = call("u2", NOON, "anthropic", "claude-sonnet", 4, 5, 6);

    // when
    send(first);
    send(second);
    send(first);
    send(second);

    // then
    assertThat(ledger.readKeyValuesToList())
        .extracting(record -> record.key, record -> record.value)
        .containsExactly(
            tuple(first.getEventId(), first),
            tuple(second.getEventId(), second));
  }

  @Test
  void shouldForgetEventIdsOnlyAfterTheRetention() {
    // given
    UsageEvent event = call("u1", NOON, "openai", "gpt-4o-mini", 10, 20, 15);
    send(event);
    KeyValueStore<String, Long> seen = driver.getKeyValueStore(UsageTopology.DEDUP_STORE);
    assertThat(seen.get(event.getEventId())).isEqualTo(START.toEpochMilli());

    // when: just before the retention ends, a purge runs but keeps the id
    driver.advanceWallClockTime(RETENTION.minusSeconds(1));
    send(event);

    // then
    assertThat(seen.get(event.getEventId())).isNotNull();
    assertThat(totals.readKeyValuesToMap().get(key("u1", DAY, "openai", "gpt-4o-mini")).getRequests()).isEqualTo(1);

    // when: past the retention plus one purge interval
    driver.advanceWallClockTime(UsageTopology.purgeInterval(RETENTION).plusSeconds(1));

    // then: both stores are purged, so the id counts as new again
    assertThat(seen.get(event.getEventId())).isNull();
    assertThat(expiryEntries()).isZero();
    send(event);
    assertThat(totals.readKeyValuesToMap().get(key("u1", DAY, "openai", "gpt-4o-mini")).getRequests()).isEqualTo(2);
  }

  @Test
  void shouldPurgeOnlyExpiredEntriesOldestFirst() {
    // given: three ids seen ten minutes apart
    UsageEvent oldest = call("u1", NOON).build();
    UsageEvent middle = call("u1", NOON).build();
    UsageEvent newest = call("u1", NOON).build();
    send(oldest);
    driver.advanceWallClockTime(Duration.ofMinutes(10));
    send(middle);
    driver.advanceWallClockTime(Duration.ofMinutes(10));
    send(newest);

    // when: the oldest is 65 minutes old, the middle 55
    driver.advanceWallClockTime(Duration.ofMinutes(45));

    // then
    KeyValueStore<String, Long> seen = driver.getKeyValueStore(UsageTopology.DEDUP_STORE);
    assertThat(seen.get(oldest.getEventId())).isNull();
    assertThat(seen.get(middle.getEventId())).isNotNull();
    assertThat(seen.get(newest.getEventId())).isNotNull();
    assertThat(expiryEntries()).isEqualTo(2);
  }

  @Test
  void shouldStampStrictlyIncreasingUpdatedAtEvenWhenTheClockStands() {
    // given
    driver.close();
    Instant frozen = Instant.parse("2026-11-28T13:00:00Z");
    start(Clock.fixed(frozen, ZoneOffset.UTC));

    // when
    send(call("u1", NOON, "openai", "gpt-4o-mini", 1, 1, 1));
    send(call("u1", NOON, "openai", "gpt-4o-mini", 1, 1, 1));
    send(call("u1", NOON, "openai", "gpt-4o-mini", 1, 1, 1));

    // then
    assertThat(totals.readValuesToList()).extracting(UsageTotals::getUpdatedAt)
        .containsExactly(frozen, frozen.plusMillis(1), frozen.plusMillis(2));
  }

  private long expiryEntries() {
    KeyValueStore<Object, Object> expiry = driver.getKeyValueStore(UsageTopology.DEDUP_EXPIRY_STORE);
    long entries = 0;
    try (var all = expiry.all()) {
      for (; all.hasNext(); all.next()) {
        entries++;
      }
    }
    return entries;
  }

  private KeyValueStore<UsageTotalsKey, UsageTotals> totalsStore() {
    return driver.getKeyValueStore(UsageTopology.TOTALS_STORE);
  }

  private static UsageTotalsKey key(String userId, LocalDate day, String provider, String model) {
    return new UsageTotalsKey(userId, day, provider, model);
  }

  private static void assertTotals(UsageTotals totals, long requests, long prompt, long completion, long total,
      long costMicroUsd, long estimatedRequests) {
    assertThat(totals).isNotNull();
    assertThat(List.of(totals.getRequests(), totals.getPromptTokens(), totals.getCompletionTokens(),
        totals.getTotalTokens(), totals.getCostMicroUsd(), totals.getEstimatedRequests()))
        .containsExactly(requests, prompt, completion, total, costMicroUsd, estimatedRequests);
  }
}
