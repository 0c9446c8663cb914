package ai.gateway.api.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.JobKind;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

class JobKindHeaderTest {

  @Test
  void shouldKeepOnlyTheNamedKindWhenTheRecordSaysWhichItIs() {
    ConsumerRecord<String, byte[]> stream = labelled("STREAM");

    assertThat(JobKindHeader.mayBe(stream, JobKind.STREAM)).isTrue();
    assertThat(JobKindHeader.mayBe(stream, JobKind.ASYNC)).isFalse();
    assertThat(JobKindHeader.mayBe(labelled("SYNC"), JobKind.BATCH)).isFalse();
    assertThat(JobKindHeader.mayBe(labelled("BATCH"), JobKind.BATCH)).isTrue();
  }

  @Test
  void shouldKeepEveryKindWhenTheRecordDoesNotSayOrDoesNotKnow() {
    ConsumerRecord<String, byte[]> unlabelled = new ConsumerRecord<>("ai.job-status", 0, 0, "job", new byte[0]);

    assertThat(JobKindHeader.mayBe(unlabelled, JobKind.ASYNC)).isTrue();
    assertThat(JobKindHeader.mayBe(labelled("UNKNOWN"), JobKind.ASYNC)).isTrue();
  }

  private static ConsumerRecord<String, byte[]> labelled(String kind) {
    ConsumerRecord<String, byte[]> record = new ConsumerRecord<>("ai.job-status", 0, 0, "job", new byte[0]);
    record.headers().add(Topics.JOB_KIND_HEADER, kind.getBytes(StandardCharsets.US_ASCII));
    return record;
  }
}
