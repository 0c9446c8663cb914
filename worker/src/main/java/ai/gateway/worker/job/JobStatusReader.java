package ai.gateway.worker.job;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.JobStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the {@code ai.job-status} partitions that hold the statuses of the {@code ai.jobs} partitions this
 * worker owns into its {@link JobHistory}. Both topics are keyed by job id, so with equal partition counts
 * a job's status lives in the partition of the same number as its job (Kafka's default partitioner); with
 * different counts every status partition is read.
 *
 * <p>When a partition is assigned, its statuses are read from {@code worker.status-lookback} ago up to their
 * end before any of its jobs is dispatched: a previous owner that died or handed the partition over wrote
 * its last statuses before the assignment, so the history then knows every attempt that matters. After
 * that the partitions are tailed, for the heartbeats and ends of attempts still running elsewhere. Its own
 * consumer, without a group; used on the intake's poll thread only.
 */
final class JobStatusReader implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JobStatusReader.class);
  private static final Duration CATCH_UP_LIMIT = Duration.ofSeconds(60);

  private final Consumer<String, byte[]> consumer;
  private final String topic;
  private final JobHistory history;
  private final Duration lookback;
  private final Clock clock;
  private final Deserializer<JobStatus> statuses = Topics.JOB_STATUS.valueSerde().deserializer();
  private final Set<TopicPartition> following = new HashSet<>();

  JobStatusReader(Consumer<String, byte[]> consumer, String topic, JobHistory history, Duration lookback,
      Clock clock) {
    this.consumer = consumer;
    this.topic = topic;
    this.history = history;
    this.lookback = lookback;
    this.clock = clock;
  }

  /**
   * Starts reading the status partitions of these job partitions and returns once it has read them up to
   * their current end (or after a minute, with a warning: a redelivered job may then run once more).
   */
  void follow(Collection<TopicPartition> jobPartitions, int jobPartitionCount) {
    Set<TopicPartition> added = new HashSet<>(statusPartitionsOf(jobPartitions, jobPartitionCount));
    added.removeAll(following);
    if (added.isEmpty()) {
      return;
    }
    following.addAll(added);
    consumer.assign(following);
    long from = clock.instant().minus(lookback).toEpochMilli();
    Map<TopicPartition, Long> times = new HashMap<>();
    added.forEach(partition -> times.put(partition, from));
    Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(times);
    for (TopicPartition partition : added) {
      OffsetAndTimestamp start = starts.get(partition);
      if (start == null) {
        consumer.seekToEnd(List.of(partition)); // nothing written since then
      } else {
        consumer.seek(partition, start.offset());
      }
    }
    Map<TopicPartition, Long> ends = consumer.endOffsets(added);
    Instant limit = clock.instant().plus(CATCH_UP_LIMIT);
    int read = 0;
    while (!caughtUp(ends)) {
      if (clock.instant().isAfter(limit)) {
        log.warn("{}: not read to its end within {}; redelivered jobs may run once more", added, CATCH_UP_LIMIT);
        return;
      }
      read += poll(Duration.ofMillis(100));
    }
    log.debug("read {} status records of {} before taking their jobs", read, added);
  }

  /** Stops reading the status partitions of these job partitions (revoked or lost). */
  void unfollow(Collection<TopicPartition> jobPartitions, int jobPartitionCount) {
    if (!samePartitioning(jobPartitionCount)) {
      return; // every status partition is read while any job partition is owned
    }
    Set<TopicPartition> removed = new HashSet<>(statusPartitionsOf(jobPartitions, jobPartitionCount));
    if (following.removeAll(removed)) {
      consumer.assign(following);
    }
  }

  /** Applies what has arrived, without waiting. */
  void poll() {
    if (!following.isEmpty()) {
      poll(Duration.ZERO);
    }
  }

  private int poll(Duration timeout) {
    int read = 0;
    Instant now = clock.instant();
    for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
      read++;
      if (record.value() == null) {
        continue; // compaction tombstone
      }
      try {
        JobStatus status = statuses.deserialize(record.topic(), record.value());
        if (status != null) {
          history.observed(status, now);
        }
      } catch (SerializationException e) {
        log.debug("skipping undecodable status record {}-{}@{}", record.topic(), record.partition(), record.offset());
      }
    }
    return read;
  }

  private boolean caughtUp(Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (following.contains(end.getKey()) && consumer.position(end.getKey()) < end.getValue()) {
        return false;
      }
    }
    return true;
  }

  private Set<TopicPartition> statusPartitionsOf(Collection<TopicPartition> jobPartitions, int jobPartitionCount) {
    Set<TopicPartition> partitions = new HashSet<>();
    if (samePartitioning(jobPartitionCount)) {
      jobPartitions.forEach(partition -> partitions.add(new TopicPartition(topic, partition.partition())));
    } else {
      for (int partition = 0; partition < statusPartitionCount(); partition++) {
        partitions.add(new TopicPartition(topic, partition));
      }
    }
    return partitions;
  }

  private boolean samePartitioning(int jobPartitionCount) {
    return jobPartitionCount > 0 && statusPartitionCount() == jobPartitionCount;
  }

  private int statusPartitionCount() {
    List<PartitionInfo> infos = consumer.partitionsFor(topic);
    return infos == null ? 0 : infos.size();
  }

  @Override
  public void close() {
    consumer.close();
  }
}
