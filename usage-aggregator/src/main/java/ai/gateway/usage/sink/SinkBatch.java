package ai.gateway.usage.sink;

import java.util.List;

import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;

/**
 * What one poll brought, decoded: ledger events and totals (only the newest per key), written in one
 * database transaction.
 */
record SinkBatch(List<UsageEvent> usage, List<UsageTotals> totals) {

  SinkBatch {
    usage = List.copyOf(usage);
    totals = List.copyOf(totals);
  }

  boolean isEmpty() {
    return usage.isEmpty() && totals.isEmpty();
  }
}
