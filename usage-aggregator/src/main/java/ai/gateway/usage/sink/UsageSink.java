package ai.gateway.usage.sink;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import ai.gateway.schemas.v1.UsageTotalsKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Copies the ledger ({@code ai.usage.ledger}) and the totals ({@code ai.usage.totals}) into PostgreSQL on
 * its own thread, outside the topology: a database outage then slows only this copy, never the
 * exactly-once counting.
 *
 * <p>Offsets are committed only after the batch's transaction committed. When a write fails, nothing is
 * committed; the consumer is rewound to the batch's first offsets (the last committed positions, since
 * every earlier batch was written and committed) and the same records are retried after a backoff,
 * forever: nothing is lost or skipped (ATTACKS #43). The first failure of an outage is logged, not each
 * retry. Reading {@code read_committed} hides records of aborted Streams transactions.
 */
final class UsageSink implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(UsageSink.class);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Supplier<Consumer<byte[], byte[]>> consumers;
  private final String ledgerTopic;
  private final String totalsTopic;
  private final UsageWriter writer;
  private final SinkStatus status;
  private final Duration pollTimeout;
  private final Backoff backoff;
  private final MeterRegistry meters;
  private final Counter usageRows;
  private final Counter totalsRows;
  private final Counter undecodable;
  private volatile CountDownLatch stopping = new CountDownLatch(1);
  /** Per partition, the offset up to which records failed to be written; empty when none are pending. */
  private final Map<TopicPartition, Long> failedUpTo = new HashMap<>();
  private volatile boolean running;
  private volatile @Nullable Consumer<byte[], byte[]> consumer;
  private @Nullable Thread thread;

  UsageSink(Supplier<Consumer<byte[], byte[]>> consumers, String ledgerTopic, String totalsTopic, UsageWriter writer,
      SinkStatus status, Duration pollTimeout, Backoff backoff, MeterRegistry meters) {
    this.consumers = consumers;
    this.ledgerTopic = ledgerTopic;
    this.totalsTopic = totalsTopic;
    this.writer = writer;
    this.status = status;
    this.pollTimeout = pollTimeout;
    this.backoff = backoff;
    this.meters = meters;
    this.usageRows = Counter.builder("usage.sink.rows").tag("table", "ai_usage")
        .description("ledger rows written (duplicates included)").register(meters);
    this.totalsRows = Counter.builder("usage.sink.rows").tag("table", "ai_usage_daily_totals")
        .description("totals rows upserted").register(meters);
    this.undecodable = Counter.builder("usage.sink.undecodable")
        .description("records skipped because they could not be decoded").register(meters);
    meters.gauge("usage.sink.failing", status, s -> s.outage() == null ? 0 : 1);
  }

  @Override
  public synchronized void start() {
    stopping = new CountDownLatch(1); // a stopped sink can be started again
    running = true;
    Thread started = new Thread(this::run, "usage-sink");
    started.start();
    thread = started;
  }

  @Override
  public synchronized void stop() {
    running = false;
    stopping.countDown();
    Consumer<byte[], byte[]> current = consumer;
    if (current != null) {
      current.wakeup();
    }
    Thread started = thread;
    if (started != null) {
      try {
        started.join(STOP_TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    thread = null;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }

  private void run() {
    try (Consumer<byte[], byte[]> opened = consumers.get();
         KafkaClientMetrics consumerMetrics = new KafkaClientMetrics(opened)) {
      consumerMetrics.bindTo(meters); // records-lag-max shows a backlog while PostgreSQL is down
      consumer = opened;
      opened.subscribe(List.of(ledgerTopic, totalsTopic));
      while (running) {
        try {
          pollOnce(opened);
        } catch (WakeupException e) {
          // stop() woke the poll: the loop condition ends it
        } catch (RuntimeException e) {
          // Poll and decode errors are Kafka's; the database's are handled in pollOnce.
          log.error("usage sink poll failed; retrying", e);
          pause(backoff.next());
        }
      }
    } catch (RuntimeException e) {
      // The consumer could not be created or subscribed (configuration): nothing will be written, so
      // health must say so rather than stay UP with a dead thread.
      status.failed(e);
      log.error("usage sink stopped: it cannot consume {} and {}", ledgerTopic, totalsTopic, e);
    } finally {
      consumer = null;
    }
  }

  /** One round: poll, write, and commit only what was written. */
  void pollOnce(Consumer<byte[], byte[]> consumer) {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout);
    if (records.isEmpty()) {
      return;
    }
    SinkBatch batch = decode(records);
    Map<TopicPartition, Long> next = nextOffsets(records);
    try {
      writer.write(batch);
    } catch (RuntimeException e) {
      if (status.failed(e)) {
        log.warn("writing usage to PostgreSQL failed; retrying until it succeeds, offsets stay uncommitted", e);
      } else {
        log.debug("writing usage to PostgreSQL failed again", e);
      }
      next.forEach((partition, offset) -> failedUpTo.merge(partition, offset, Math::max));
      rewind(consumer, records);
      pause(backoff.next());
      return;
    }
    status.wrote();
    backoff.reset();
    usageRows.increment(batch.usage().size());
    totalsRows.increment(batch.totals().size());
    commit(consumer, next);
    endOutageOnceFailedRecordsAreWritten(consumer, next);
  }

  private void endOutageOnceFailedRecordsAreWritten(Consumer<byte[], byte[]> consumer, Map<TopicPartition, Long> written) {
    if (failedUpTo.isEmpty()) {
      return;
    }
    // Revoked partitions are retried by their new owner, which reports its own outage.
    failedUpTo.entrySet().removeIf(failed -> !consumer.assignment().contains(failed.getKey())
        || written.getOrDefault(failed.getKey(), -1L) >= failed.getValue());
    if (failedUpTo.isEmpty()) {
      SinkStatus.Outage ended = status.recovered();
      if (ended != null) {
        log.info("writing usage to PostgreSQL recovered after {} and {} failed attempts",
            status.sinceStartOf(ended), ended.failedWrites());
      }
    }
  }

  private SinkBatch decode(ConsumerRecords<byte[], byte[]> records) {
    List<UsageEvent> usage = new ArrayList<>();
    Map<UsageTotalsKey, UsageTotals> newestTotals = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      try {
        if (record.topic().equals(ledgerTopic)) {
          UsageEvent event = Topics.USAGE.valueSerde().deserializer().deserialize(record.topic(), record.value());
          if (event != null) {
            usage.add(event);
          }
        } else {
          UsageTotals totals = Topics.USAGE_TOTALS.valueSerde().deserializer().deserialize(record.topic(), record.value());
          if (totals != null) {
            newestTotals.merge(keyOf(totals), totals, TotalsOrder::newer);
          }
        }
      } catch (SerializationException e) {
        // It will never decode; retrying would stop the sink for good. The topology only writes what it
        // decoded with the same schemas, so this means a foreign producer wrote to our topics.
        undecodable.increment();
        log.error("skipping undecodable record {}-{}@{}", record.topic(), record.partition(), record.offset(), e);
      }
    }
    return new SinkBatch(usage, List.copyOf(newestTotals.values()));
  }

  private static UsageTotalsKey keyOf(UsageTotals totals) {
    return new UsageTotalsKey(totals.getUserId(), totals.getDay(), totals.getProvider(), totals.getModel());
  }

  private static void rewind(Consumer<byte[], byte[]> consumer, ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      // A partition revoked meanwhile is resumed by its new owner from the committed offset.
      if (consumer.assignment().contains(partition)) {
        consumer.seek(partition, records.records(partition).get(0).offset());
      }
    }
  }

  /** Per partition, the offset after the batch's last record: what to commit once it is written. */
  private static Map<TopicPartition, Long> nextOffsets(ConsumerRecords<byte[], byte[]> records) {
    Map<TopicPartition, Long> next = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> inPartition = records.records(partition);
      next.put(partition, inPartition.get(inPartition.size() - 1).offset() + 1);
    }
    return next;
  }

  private static void commit(Consumer<byte[], byte[]> consumer, Map<TopicPartition, Long> next) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    next.forEach((partition, offset) -> offsets.put(partition, new OffsetAndMetadata(offset)));
    try {
      consumer.commitSync(offsets);
    } catch (CommitFailedException | RebalanceInProgressException e) {
      // The rows are written; whoever owns the partitions now rewrites them, which changes nothing.
      log.info("offsets not committed after a rebalance; the next owner rewrites these rows idempotently: {}",
          e.toString());
    }
  }

  private void pause(Duration duration) {
    try {
      stopping.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }
}
