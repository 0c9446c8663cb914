package ai.gateway.usage.topology;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import ai.gateway.schemas.v1.UsageTotalsKey;
import org.apache.kafka.streams.kstream.Aggregator;

/** Folds usage events into the absolute totals of one (user, UTC day, provider, model). */
final class UsageTotalsAggregation implements Aggregator<UsageTotalsKey, UsageEvent, UsageTotals> {

  private final Clock clock;

  UsageTotalsAggregation(Clock clock) {
    this.clock = clock;
  }

  /** The day is the UTC day of the call's completion (DESIGN.md, {@code ai.usage.totals}). */
  static UsageTotalsKey keyOf(UsageEvent event) {
    return new UsageTotalsKey(event.getUserId(), utcDay(event.getOccurredAt()), event.getProvider(), event.getModel());
  }

  static LocalDate utcDay(Instant instant) {
    return LocalDate.ofInstant(instant, ZoneOffset.UTC);
  }

  /** The key fields are filled in by the first {@link #apply}; the initializer does not see the key. */
  static UsageTotals empty() {
    return new UsageTotals("", LocalDate.EPOCH, "", "", 0L, 0L, 0L, 0L, 0L, 0L, Instant.EPOCH);
  }

  @Override
  public UsageTotals apply(UsageTotalsKey key, UsageEvent event, UsageTotals totals) {
    return UsageTotals.newBuilder()
        .setUserId(key.getUserId())
        .setDay(key.getDay())
        .setProvider(key.getProvider())
        .setModel(key.getModel())
        .setRequests(totals.getRequests() + 1)
        .setPromptTokens(totals.getPromptTokens() + event.getPromptTokens())
        .setCompletionTokens(totals.getCompletionTokens() + event.getCompletionTokens())
        .setTotalTokens(totals.getTotalTokens() + event.getTotalTokens())
        .setCostMicroUsd(totals.getCostMicroUsd() + event.getCostMicroUsd())
        .setEstimatedRequests(totals.getEstimatedRequests() + (event.getEstimated() ? 1 : 0))
        .setUpdatedAt(nextUpdatedAt(totals.getUpdatedAt()))
        .build();
  }

  /**
   * Strictly increasing per key, even if the wall clock stalls or steps back (a task moving to a host whose
   * clock is behind), so that readers can order two values of a key by it. The PostgreSQL writer orders by
   * {@code requests} first (it grows by one per event) and by {@code updatedAt} only between equal counts.
   */
  private Instant nextUpdatedAt(Instant previous) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    Instant next = previous.plusMillis(1);
    return now.isAfter(next) ? now : next;
  }
}
