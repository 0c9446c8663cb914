package ai.gateway.usage.sink;

import static ai.gateway.usage.UsageFixtures.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;

/**
 * The commit discipline of the writer loop, on Kafka's {@link MockConsumer} and a writer that fails on
 * demand (PostgreSQL itself is covered by UsageAggregatorIT).
 */
class UsageSinkTest {

  private static final String LEDGER = "ai.usage.ledger";
  private static final String TOTALS = "ai.usage.totals";
  private static final TopicPartition LEDGER_0 = new TopicPartition(LEDGER, 0);
  private static final TopicPartition TOTALS_0 = new TopicPartition(TOTALS, 0);
  private static final Instant NOON = Instant.parse("2026-11-28T12:00:00Z");

  /** Fails while {@code failuresLeft} is positive, otherwise keeps what it was given. */
  private static final class FlakyWriter implements UsageWriter {
    int failuresLeft;
    final List<SinkBatch> written = new ArrayList<>();

    @Override
    public void write(SinkBatch batch) {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new DataAccessResourceFailureException("connection refused");
      }
      written.add(batch);
    }
  }

  private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
  private final FlakyWriter writer = new FlakyWriter();
  private final SinkStatus status = new SinkStatus(Clock.systemUTC());
  private UsageSink sink;

  @BeforeEach
  void assignPartitions() {
    sink = new UsageSink(() -> consumer, LEDGER, TOTALS, writer, status, Duration.ofMillis(10),
        new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)), new SimpleMeterRegistry());
    consumer.assign(List.of(LEDGER_0, TOTALS_0));
    consumer.updateBeginningOffsets(Map.of(LEDGER_0, 0L, TOTALS_0, 0L));
  }

  @Test
  void shouldCommitOnlyAfterTheBatchIsWritten() {
    // given
    UsageEvent first = call("u1", NOON).build();
    UsageEvent second = call("u1", NOON).build();
    addLedger(0, first);
    addLedger(1, second);
    addTotals(0, totals("u1", 2, NOON));

    // when
    sink.pollOnce(consumer);

    // then
    assertThat(writer.written).singleElement().satisfies(batch -> {
      assertThat(batch.usage()).containsExactly(first, second);
      assertThat(batch.totals()).extracting(UsageTotals::getRequests).containsExactly(2L);
    });
    assertThat(committed()).containsEntry(LEDGER_0, 2L).containsEntry(TOTALS_0, 1L);
    assertThat(status.outage()).isNull();
    assertThat(status.lastWriteAt()).isNotNull();
  }

  @Test
  void shouldRewindAndCommitNothingWhileWritesFailThenWriteEverything() {
    // given
    writer.failuresLeft = 3;
    UsageEvent event = call("u1", NOON).build();

    // when: three attempts fail; MockConsumer forgets polled records, so each retry adds them again
    for (int attempt = 0; attempt < 3; attempt++) {
      addLedger(0, event);
      sink.pollOnce(consumer);

      // then
      assertThat(committed()).isEmpty();
      assertThat(consumer.position(LEDGER_0)).isZero();
    }
    assertThat(status.outage()).isNotNull().satisfies(outage -> {
      assertThat(outage.failedWrites()).isEqualTo(3);
      assertThat(outage.lastError()).contains("connection refused");
    });

    // when: the database is back
    addLedger(0, event);
    sink.pollOnce(consumer);

    // then
    assertThat(writer.written).singleElement().satisfies(batch -> assertThat(batch.usage()).containsExactly(event));
    assertThat(committed()).containsEntry(LEDGER_0, 1L);
    assertThat(status.outage()).isNull();
  }

  @Test
  void shouldStayInOutageUntilTheRecordsThatFailedAreWritten() {
    // given: a ledger write failed
    writer.failuresLeft = 1;
    UsageEvent event = call("u1", NOON).build();
    addLedger(0, event);
    sink.pollOnce(consumer);

    // when: the next poll happens to bring only totals, and they are written
    addTotals(0, totals("u1", 1, NOON));
    sink.pollOnce(consumer);

    // then
    assertThat(committed()).containsEntry(TOTALS_0, 1L).doesNotContainKey(LEDGER_0);
    assertThat(status.outage()).isNotNull();

    // when: the failed ledger record is written
    addLedger(0, event);
    sink.pollOnce(consumer);

    // then
    assertThat(committed()).containsEntry(LEDGER_0, 1L);
    assertThat(status.outage()).isNull();
  }

  @Test
  void shouldReportOnlyTheFirstFailureOfAnOutageAsNew() {
    // given
    Exception error = new DataAccessResourceFailureException("down");

    // when / then
    assertThat(status.failed(error)).isTrue();
    assertThat(status.failed(error)).isFalse();
    assertThat(status.recovered()).isNotNull();
    assertThat(status.failed(error)).isTrue();
  }

  @Test
  void shouldKeepOnlyTheNewestTotalsPerKeyAndSkipUndecodableRecords() {
    // given
    addTotals(0, totals("u1", 1, NOON));
    addTotals(1, totals("u1", 2, NOON.plusMillis(5)));
    addTotals(2, totals("u2", 7, NOON));
    consumer.addRecord(new ConsumerRecord<>(LEDGER, 0, 0, null, new byte[] {1, 2, 3}));

    // when
    sink.pollOnce(consumer);

    // then
    assertThat(writer.written).singleElement().satisfies(batch -> {
      assertThat(batch.usage()).isEmpty();
      assertThat(batch.totals()).extracting(UsageTotals::getUserId, UsageTotals::getRequests)
          .containsExactly(tuple("u1", 2L), tuple("u2", 7L));
    });
    assertThat(committed()).containsEntry(LEDGER_0, 1L).containsEntry(TOTALS_0, 3L);
  }

  @Test
  void shouldPreferMoreRequestsOverALaterTimestampWithinABatch() {
    // given: a recount from zero (application reset) stamped later than the value it has not caught up with
    addTotals(0, totals("u1", 5, NOON));
    addTotals(1, totals("u1", 2, NOON.plusSeconds(60)));
    addTotals(2, totals("u2", 3, NOON));
    addTotals(3, totals("u2", 3, NOON.plusMillis(1)));

    // when
    sink.pollOnce(consumer);

    // then
    assertThat(writer.written).singleElement().satisfies(batch -> assertThat(batch.totals())
        .extracting(UsageTotals::getUserId, UsageTotals::getRequests, UsageTotals::getUpdatedAt)
        .containsExactly(tuple("u1", 5L, NOON), tuple("u2", 3L, NOON.plusMillis(1))));
  }

  private Map<TopicPartition, Long> committed() {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    consumer.committed(Set.of(LEDGER_0, TOTALS_0)).forEach((partition, offset) -> {
      if (offset != null) {
        offsets.put(partition, offset.offset());
      }
    });
    return offsets;
  }

  private void addLedger(long offset, UsageEvent event) {
    consumer.addRecord(new ConsumerRecord<>(LEDGER, 0, offset, event.getEventId().getBytes(),
        Topics.USAGE.valueSerde().serializer().serialize(LEDGER, event)));
  }

  private void addTotals(long offset, UsageTotals totals) {
    consumer.addRecord(new ConsumerRecord<>(TOTALS, 0, offset, null,
        Topics.USAGE_TOTALS.valueSerde().serializer().serialize(TOTALS, totals)));
  }

  private static UsageTotals totals(String userId, long requests, Instant updatedAt) {
    return new UsageTotals(userId, LocalDate.of(2026, 11, 28), "openai", "gpt-4o-mini", requests, 0L, 0L, 0L, 0L, 0L,
        updatedAt);
  }
}
