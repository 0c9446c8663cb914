package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {

  @Test
  void shouldCommitOnlyBelowTheLowestUnfinishedOffset() {
    // given
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.fetched(10);
    offsets.fetched(11);
    offsets.fetched(12);

    // when: the later jobs finish first
    offsets.finished(12);
    offsets.finished(11);

    // then
    assertThat(offsets.position()).isEqualTo(10);

    // when
    offsets.finished(10);

    // then: everything fetched is done
    assertThat(offsets.position()).isEqualTo(13);
  }

  @Test
  void shouldReportANewPositionOnlyOnceCommitted() {
    // given
    PartitionOffsets offsets = new PartitionOffsets();
    assertThat(offsets.hasNewPosition()).isFalse();
    offsets.fetched(0);
    offsets.finished(0);

    // when / then
    assertThat(offsets.hasNewPosition()).isTrue();
    offsets.markCommitted(offsets.position());
    assertThat(offsets.hasNewPosition()).isFalse();
  }

  @Test
  void shouldHoldThePositionAtARecordThatNeverFinishes() {
    // given
    PartitionOffsets offsets = new PartitionOffsets();
    for (long offset = 0; offset < 5; offset++) {
      offsets.fetched(offset);
    }

    // when: 2 never finishes (its records could not be written)
    offsets.finished(0);
    offsets.finished(1);
    offsets.finished(3);
    offsets.finished(4);

    // then
    assertThat(offsets.position()).isEqualTo(2);
    assertThat(offsets.unfinishedCount()).isEqualTo(1);
  }
}
