package ai.gateway.usage.topology;

import java.time.Clock;
import java.time.Duration;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import ai.gateway.schemas.v1.UsageTotalsKey;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The aggregator's topology, a pure function of its configuration so that {@code TopologyTestDriver} tests
 * run exactly what production runs.
 *
 * <pre>
 * ai.usage ─▶ usage-events-deduped ─┬─▶ key by eventId ─▶ ai.usage.ledger     (read by the PostgreSQL writer)
 *  (userId)   (drops seen eventIds)  └─▶ key by (user, UTC day, provider, model) ─▶ usage-totals-by-day ─▶ ai.usage.totals
 * </pre>
 *
 * <p>Every stateful step is named, so store, changelog and repartition topic names survive edits of the
 * topology: an auto-generated name (KSTREAM-AGGREGATE-0000000004) changes when a step is inserted before
 * it, which silently starts the totals from zero.
 *
 * <p>Deduplication needs no repartition: a duplicate is the same event sent again (producer retry,
 * redelivery), so it carries the same user id key and lands on the same partition as the original.
 */
public final class UsageTopology {

  /** eventId → wall-clock time the event was first seen. */
  public static final String DEDUP_STORE = "usage-dedup-by-event-id";
  /** (first-seen time, eventId) → eventId: lets the purge read only expired entries, oldest first. */
  public static final String DEDUP_EXPIRY_STORE = "usage-dedup-expiry";
  /** {@link UsageTotalsKey} → absolute {@link UsageTotals}. */
  public static final String TOTALS_STORE = "usage-totals-by-day";
  /** The processor that forwards each event the first time its eventId is seen. */
  public static final String DEDUPED = "usage-events-deduped";
  /** Names the repartition topic keyed by {@link UsageTotalsKey}. */
  static final String TOTALS_GROUPING = "usage-by-totals-key";

  private UsageTopology() {
  }

  /**
   * @param dedupRetention how long an eventId is remembered; at least the retention of {@code ai.usage},
   *     so that a duplicate still in that topic can never be counted twice
   */
  public static Topology build(TopologyNames names, Duration dedupRetention) {
    return build(names, dedupRetention, Clock.systemUTC());
  }

  /** As {@link #build(TopologyNames, Duration)}, with the clock that stamps {@code updatedAt}. */
  public static Topology build(TopologyNames names, Duration dedupRetention, Clock clock) {
    if (dedupRetention.isNegative() || dedupRetention.isZero()) {
      throw new IllegalArgumentException("dedupRetention must be positive: " + dedupRetention);
    }
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(DEDUP_STORE), Serdes.String(), Serdes.Long()));
    builder.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(DEDUP_EXPIRY_STORE), Serdes.Bytes(), Serdes.String()));

    KStream<String, UsageEvent> deduped = builder
        .stream(names.usage(), Consumed.with(Topics.USAGE.keySerde(), Topics.USAGE.valueSerde()).withName("usage-source"))
        .process(() -> new DedupProcessor(dedupRetention, purgeInterval(dedupRetention)), Named.as(DEDUPED),
            DEDUP_STORE, DEDUP_EXPIRY_STORE);

    deduped
        .selectKey((userId, event) -> event.getEventId(), Named.as("usage-ledger-key-by-event-id"))
        .to(names.usageLedger(), Produced.with(Serdes.String(), Topics.USAGE.valueSerde()).withName("usage-ledger-sink"));

    UsageTotalsAggregation aggregation = new UsageTotalsAggregation(clock);
    deduped
        .groupBy((userId, event) -> UsageTotalsAggregation.keyOf(event),
            Grouped.with(TOTALS_GROUPING, Topics.USAGE_TOTALS.keySerde(), Topics.USAGE.valueSerde()))
        .aggregate(UsageTotalsAggregation::empty, aggregation, Named.as("usage-totals-aggregate"),
            Materialized.<UsageTotalsKey, UsageTotals, KeyValueStore<Bytes, byte[]>>as(TOTALS_STORE)
                .withKeySerde(Topics.USAGE_TOTALS.keySerde())
                .withValueSerde(Topics.USAGE_TOTALS.valueSerde()))
        .toStream(Named.as("usage-totals-changes"))
        .to(names.usageTotals(),
            Produced.with(Topics.USAGE_TOTALS.keySerde(), Topics.USAGE_TOTALS.valueSerde()).withName("usage-totals-sink"));

    return builder.build();
  }

  /**
   * How often expired eventIds are purged: a tenth of the retention, between 1 s and 1 h. The purge is
   * cheap (it reads only expired entries), so the interval only bounds how long past its retention an
   * entry may linger.
   */
  static Duration purgeInterval(Duration dedupRetention) {
    Duration tenth = dedupRetention.dividedBy(10);
    if (tenth.compareTo(Duration.ofSeconds(1)) < 0) {
      return Duration.ofSeconds(1);
    }
    return tenth.compareTo(Duration.ofHours(1)) > 0 ? Duration.ofHours(1) : tenth;
  }
}
