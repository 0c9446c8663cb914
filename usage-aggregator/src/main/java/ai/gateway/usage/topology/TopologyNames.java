package ai.gateway.usage.topology;

import java.util.Objects;

import ai.gateway.schemas.Topics;

/**
 * The topics the topology reads and writes, as configured.
 *
 * @param usage the usage events ({@code ai.usage}, keyed by user id)
 * @param usageTotals the absolute daily totals ({@code ai.usage.totals})
 * @param usageLedger the deduplicated events keyed by event id, read by the PostgreSQL writer
 */
public record TopologyNames(String usage, String usageTotals, String usageLedger) {

  /** The ledger topic's default name; it is internal to this service, so it is not among {@link Topics}. */
  public static final String DEFAULT_USAGE_LEDGER = "ai.usage.ledger";

  public TopologyNames {
    Objects.requireNonNull(usage, "usage");
    Objects.requireNonNull(usageTotals, "usageTotals");
    Objects.requireNonNull(usageLedger, "usageLedger");
  }

  /** The design's names. */
  public static TopologyNames defaults() {
    return new TopologyNames(Topics.USAGE.defaultName(), Topics.USAGE_TOTALS.defaultName(), DEFAULT_USAGE_LEDGER);
  }
}
