package ai.gateway.worker.config;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code worker.*} (the providers and prices under {@code worker.providers} and {@code worker.pricing} bind
 * to their own records, which reject unknown keys themselves).
 *
 * @param id this instance's id on Kafka records; blank: generated from the host name plus a random suffix
 * @param groupId consumer group of {@code ai.jobs}
 * @param maxInFlight jobs running at once; intake pauses at this bound
 * @param maxPollRecords records one poll may return (fetched beyond the bound wait in a local backlog)
 * @param leaseDuration the lease a RUNNING status announces; renewed every third of it while the attempt runs,
 *     so a job whose lease lapsed has lost its worker and is run again as a new attempt
 * @param sessionTimeout the consumer-group session timeout of {@code ai.jobs}: how long after a crash
 *     ({@code kill -9}, a lost node) its partitions, and so its unfinished jobs, move to another worker
 * @param statusLookback how far back {@code ai.job-status} is read when a partition of {@code ai.jobs} is
 *     assigned, to learn which redelivered jobs already ended or run elsewhere; must cover the time from a
 *     job's last status record to its redelivery (a crash: the session timeout plus the commit interval)
 * @param commitInterval how often finished offsets are committed
 * @param pollTimeout how long a poll waits for records (also bounds how fast the loop notices shutdown)
 * @param capabilitiesTtl the ttl announced on {@code ai.providers}; republished every third of it
 * @param shutdownGrace how long a graceful stop waits for running jobs to end before leaving them to
 *     redelivery
 * @param cancelMemory how long a CANCEL for a job this worker does not run is remembered, for a job that
 *     arrives after its cancel
 * @param fallbackOrder provider names in the order tried when a job names no provider; configured
 *     providers not listed come after, by name
 * @param batchGroupId consumer group of {@code ai.batch-jobs} (the batch lane)
 * @param batchMaxInFlight batch items running at once: the batch lane's own capacity, apart from
 *     {@code max-in-flight}, so batch items never take the interactive lane's slots
 */
@ConfigurationProperties(prefix = "worker")
public record WorkerProperties(
    @Nullable String id,
    @DefaultValue("ai-workers") String groupId,
    @DefaultValue("2000") int maxInFlight,
    @DefaultValue("100") int maxPollRecords,
    @DefaultValue("20s") Duration leaseDuration,
    @DefaultValue("20s") Duration sessionTimeout,
    @DefaultValue("5m") Duration statusLookback,
    @DefaultValue("1s") Duration commitInterval,
    @DefaultValue("200ms") Duration pollTimeout,
    @DefaultValue("60s") Duration capabilitiesTtl,
    @DefaultValue("10s") Duration shutdownGrace,
    @DefaultValue("10m") Duration cancelMemory,
    @DefaultValue({"openai", "anthropic", "gemini"}) List<String> fallbackOrder,
    @DefaultValue("ai-workers.batch") String batchGroupId,
    @DefaultValue("256") int batchMaxInFlight) {

  /** The design's order. */
  public static final List<String> DEFAULT_FALLBACK_ORDER = List.of("openai", "anthropic", "gemini");

  public WorkerProperties {
    if (groupId.isBlank()) {
      throw new IllegalArgumentException("worker.group-id must not be blank");
    }
    if (maxInFlight < 1 || maxPollRecords < 1 || batchMaxInFlight < 1) {
      throw new IllegalArgumentException(
          "worker.max-in-flight, worker.batch-max-in-flight and worker.max-poll-records must be >= 1");
    }
    if (batchGroupId.isBlank() || batchGroupId.equals(groupId)) {
      throw new IllegalArgumentException("worker.batch-group-id must not be blank nor worker.group-id");
    }
    for (Duration duration : new Duration[] {leaseDuration, sessionTimeout, statusLookback, commitInterval, pollTimeout,
        capabilitiesTtl}) {
      if (duration.isZero() || duration.isNegative()) {
        throw new IllegalArgumentException("worker durations must be positive");
      }
    }
    if (shutdownGrace.isNegative() || cancelMemory.isNegative()) {
      throw new IllegalArgumentException("worker.shutdown-grace and worker.cancel-memory must not be negative");
    }
    fallbackOrder = List.copyOf(fallbackOrder);
  }

  /** How often a running attempt renews its lease: three renewals fit in one lease. */
  public Duration heartbeatInterval() {
    return leaseDuration.dividedBy(3);
  }
}
