package ai.gateway.api.kafka;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.utils.Utils;

/**
 * The partition of {@code ai.replies} a job's replies land on: workers publish them keyed by the job id
 * with the default partitioner, which for a keyed record is murmur2 of the serialized key modulo the
 * partition count ({@code BuiltInPartitioner.partitionForKey}). Computed here the same way, so the gateway
 * can pick job ids that land on the partition it reads, and find a job's events again to replay them.
 */
final class ReplyPartitions {

  private ReplyPartitions() {
  }

  static int of(String jobId, int partitionCount) {
    // StringSerializer's default encoding is UTF-8.
    return Utils.toPositive(Utils.murmur2(jobId.getBytes(StandardCharsets.UTF_8))) % partitionCount;
  }
}
