package ai.gateway.usage.topology;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import ai.gateway.schemas.v1.UsageEvent;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards a usage event only the first time its eventId is seen, so a producer retry or a redelivered
 * event is counted once (ATTACKS #44). Remembered ids expire after the retention: a wall-clock punctuator
 * deletes them, reading a second store ordered by first-seen time, so it touches only expired entries
 * instead of scanning a week of ids every time.
 *
 * <p>Both stores are changelogged and written in the same exactly-once transaction as the forwarded
 * records, so after a crash "seen" and "counted" cannot disagree.
 */
final class DedupProcessor implements Processor<String, UsageEvent, String, UsageEvent> {

  private static final Logger log = LoggerFactory.getLogger(DedupProcessor.class);
  /** Bounds the keys held in memory per purge round; the purge loops until nothing expired is left. */
  private static final int PURGE_BATCH = 10_000;

  private final long retentionMs;
  private final Duration purgeInterval;
  private ProcessorContext<String, UsageEvent> context;
  private KeyValueStore<String, Long> firstSeen;
  private KeyValueStore<Bytes, String> expiry;

  DedupProcessor(Duration retention, Duration purgeInterval) {
    this.retentionMs = retention.toMillis();
    this.purgeInterval = purgeInterval;
  }

  @Override
  public void init(ProcessorContext<String, UsageEvent> context) {
    this.context = context;
    this.firstSeen = context.getStateStore(UsageTopology.DEDUP_STORE);
    this.expiry = context.getStateStore(UsageTopology.DEDUP_EXPIRY_STORE);
    context.schedule(purgeInterval, PunctuationType.WALL_CLOCK_TIME, this::purgeExpired);
  }

  @Override
  public void process(Record<String, UsageEvent> record) {
    UsageEvent event = record.value();
    if (event == null) {
      return; // nothing to count; ai.usage is not compacted, so a tombstone means nothing
    }
    String eventId = event.getEventId();
    if (firstSeen.get(eventId) != null) {
      log.debug("dropping duplicate usage event {}", eventId);
      return;
    }
    long now = context.currentSystemTimeMs();
    firstSeen.put(eventId, now);
    expiry.put(expiryKey(now, eventId), eventId);
    context.forward(record);
  }

  void purgeExpired(long now) {
    long cutoff = now - retentionMs;
    List<KeyValue<Bytes, String>> expired;
    do {
      expired = oldestUpTo(cutoff);
      for (KeyValue<Bytes, String> entry : expired) {
        firstSeen.delete(entry.value);
        expiry.delete(entry.key);
      }
    } while (expired.size() == PURGE_BATCH);
  }

  /** Collected before deleting: a store's iterator must not see the store change under it. */
  private List<KeyValue<Bytes, String>> oldestUpTo(long cutoff) {
    List<KeyValue<Bytes, String>> expired = new ArrayList<>();
    try (KeyValueIterator<Bytes, String> oldestFirst = expiry.all()) {
      while (oldestFirst.hasNext() && expired.size() < PURGE_BATCH) {
        KeyValue<Bytes, String> entry = oldestFirst.next();
        if (firstSeenOf(entry.key) > cutoff) {
          break;
        }
        expired.add(entry);
      }
    }
    return expired;
  }

  /**
   * The first-seen time as 8 big-endian bytes, then the eventId: stores order keys by unsigned bytes, which
   * for non-negative longs in big-endian is time order.
   */
  static Bytes expiryKey(long firstSeenMs, String eventId) {
    byte[] id = eventId.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + id.length).putLong(firstSeenMs).put(id).array());
  }

  static long firstSeenOf(Bytes expiryKey) {
    return ByteBuffer.wrap(expiryKey.get()).getLong();
  }
}
