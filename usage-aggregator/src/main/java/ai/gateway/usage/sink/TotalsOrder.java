package ai.gateway.usage.sink;

import java.util.Comparator;

import ai.gateway.schemas.v1.UsageTotals;

/**
 * Which of two totals values of one key is the newer: the one with more requests, then the later
 * {@code updatedAt}. The same order as the {@code WHERE} of {@link PostgresUsageWriter#UPSERT_TOTALS}.
 *
 * <p>Every event adds exactly one request, and the ledger never loses an event, so a key's request count
 * only grows. A value with fewer requests than the one held is therefore always stale: an older record
 * read again (a replay of {@code ai.usage.totals}, compaction not having run yet), or a recount that has
 * not caught up (the topology's state rebuilt from zero after an application reset, or from an
 * {@code ai.usage} that no longer holds every event of that day). {@code updatedAt} alone would accept such a
 * recount: it is stamped when the value is computed, so it is the newest.
 */
final class TotalsOrder {

  static final Comparator<UsageTotals> PROGRESS =
      Comparator.comparingLong(UsageTotals::getRequests).thenComparing(UsageTotals::getUpdatedAt);

  private TotalsOrder() {
  }

  /** The value to keep; the later one of two equal values, so a merge of identical values is stable. */
  static UsageTotals newer(UsageTotals held, UsageTotals incoming) {
    return PROGRESS.compare(incoming, held) >= 0 ? incoming : held;
  }
}
