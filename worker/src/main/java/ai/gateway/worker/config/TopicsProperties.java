package ai.gateway.worker.config;

import ai.gateway.schemas.Topics;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code topics.*}: the topic names (defaults are the design's) and how missing topics are created at start.
 * The same keys in every service (docs/architecture.md).
 */
@ConfigurationProperties(prefix = "topics", ignoreUnknownFields = false)
public record TopicsProperties(
    @DefaultValue("ai.jobs") String jobs,
    @DefaultValue("ai.batch-jobs") String batchJobs,
    @DefaultValue("ai.replies") String replies,
    @DefaultValue("ai.job-status") String jobStatus,
    @DefaultValue("ai.job-control") String jobControl,
    @DefaultValue("ai.providers") String providers,
    @DefaultValue("ai.usage") String usage,
    @DefaultValue("ai.usage.totals") String usageTotals,
    @DefaultValue("12") int partitions,
    @DefaultValue("1") short replicationFactor) {

  public TopicsProperties {
    for (String name : new String[] {jobs, batchJobs, replies, jobStatus, jobControl, providers, usage, usageTotals}) {
      if (name.isBlank()) {
        throw new IllegalArgumentException("topic names must not be blank");
      }
    }
    if (partitions < 1 || replicationFactor < 1) {
      throw new IllegalArgumentException("topics.partitions and topics.replication-factor must be >= 1");
    }
  }

  /** The configured name of a topic given its default name: the mapping {@link Topics#newTopics} takes. */
  public String nameOf(String defaultName) {
    if (defaultName.equals(Topics.JOBS.defaultName())) {
      return jobs;
    } else if (defaultName.equals(Topics.BATCH_JOBS.defaultName())) {
      return batchJobs;
    } else if (defaultName.equals(Topics.REPLIES.defaultName())) {
      return replies;
    } else if (defaultName.equals(Topics.JOB_STATUS.defaultName())) {
      return jobStatus;
    } else if (defaultName.equals(Topics.JOB_CONTROL.defaultName())) {
      return jobControl;
    } else if (defaultName.equals(Topics.PROVIDERS.defaultName())) {
      return providers;
    } else if (defaultName.equals(Topics.USAGE.defaultName())) {
      return usage;
    } else if (defaultName.equals(Topics.USAGE_TOTALS.defaultName())) {
      return usageTotals;
    }
    throw new IllegalArgumentException("unknown topic " + defaultName);
  }
}
