package ai.gateway.usage.config;

import ai.gateway.usage.topology.TopologyNames;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Topic names and the shape of topics created at start when missing (docs/architecture.md, "Configuration
 * shared by all services"). Only the topics this service touches; unknown keys are rejected so a typo
 * fails the start instead of silently using a default.
 *
 * @param usage {@code ai.usage}
 * @param usageTotals {@code ai.usage.totals}
 * @param usageLedger {@code ai.usage.ledger}, the deduplicated events the PostgreSQL writer reads
 * @param partitions partitions of topics created at start
 * @param replicationFactor of topics created at start and of Kafka Streams' internal topics
 */
@ConfigurationProperties(prefix = "topics", ignoreUnknownFields = false)
public record TopicsProperties(String usage, String usageTotals, String usageLedger, int partitions,
    short replicationFactor) {

  public TopicsProperties {
    Validation.notBlank("topics.usage", usage);
    Validation.notBlank("topics.usage-totals", usageTotals);
    Validation.notBlank("topics.usage-ledger", usageLedger);
    Validation.check(partitions > 0, "topics.partitions must be positive: " + partitions);
    Validation.check(replicationFactor > 0, "topics.replication-factor must be positive: " + replicationFactor);
  }

  public TopologyNames names() {
    return new TopologyNames(usage, usageTotals, usageLedger);
  }
}
