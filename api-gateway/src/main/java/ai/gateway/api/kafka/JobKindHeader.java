package ai.gateway.api.kafka;

import java.nio.charset.StandardCharsets;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.JobKind;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Reads {@link Topics#JOB_KIND_HEADER} of an {@code ai.job-status} record, so a materializer skips the statuses of
 * kinds it does not keep (every sync and stream job's, the bulk of the topic) without decoding them.
 */
public final class JobKindHeader {

  private JobKindHeader() {
  }

  /** Whether the record may be of this kind: it says so, says {@code UNKNOWN}, or does not say (an older worker). */
  public static boolean mayBe(ConsumerRecord<?, ?> record, JobKind kind) {
    Header header = record.headers().lastHeader(Topics.JOB_KIND_HEADER);
    if (header == null || header.value() == null) {
      return true;
    }
    String named = new String(header.value(), StandardCharsets.US_ASCII);
    return named.equals(kind.name()) || named.equals(JobKind.UNKNOWN.name());
  }
}
