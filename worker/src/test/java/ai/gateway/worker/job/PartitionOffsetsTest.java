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
    offsets.markCommitted(offsets.position(), offsets.metadata());
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

  @Test
  void shouldTellTheNextOwnerWhichRecordsAboveThePositionHadFinished() {
    // given: one long job at 100 holds the position while 101..199 finish, except 150
    PartitionOffsets offsets = new PartitionOffsets();
    for (long offset = 100; offset < 200; offset++) {
      offsets.fetched(offset);
      if (offset != 100 && offset != 150) {
        offsets.finished(offset);
      }
    }

    // when: the next owner restores the commit
    PartitionOffsets restored = PartitionOffsets.restored(offsets.position(), offsets.metadata());

    // then: only 100 and 150 are redelivered for real
    assertThat(offsets.position()).isEqualTo(100);
    assertThat(restored.finishedEarlier(100)).isFalse();
    assertThat(restored.finishedEarlier(101)).isTrue();
    assertThat(restored.finishedEarlier(150)).isFalse();
    assertThat(restored.finishedEarlier(199)).isTrue();
    assertThat(restored.finishedEarlier(200)).isFalse();
    assertThat(restored.position()).isEqualTo(100);
    assertThat(restored.hasNewPosition()).isFalse();
  }

  @Test
  void shouldKeepWhatItRestoredUntilItFetchedThatFar() {
    // given: the previous owner left 10 and 20 unfinished, up to 30
    PartitionOffsets previous = new PartitionOffsets();
    for (long offset = 10; offset < 30; offset++) {
      previous.fetched(offset);
      if (offset != 10 && offset != 20) {
        previous.finished(offset);
      }
    }
    PartitionOffsets restored = PartitionOffsets.restored(previous.position(), previous.metadata());

    // when: the new owner finishes 10 but has not fetched 20 yet
    restored.fetched(10);
    restored.finished(10);

    // then: it commits 20 as the position, still saying 21..29 had finished
    assertThat(restored.position()).isEqualTo(20);
    PartitionOffsets next = PartitionOffsets.restored(restored.position(), restored.metadata());
    assertThat(next.finishedEarlier(20)).isFalse();
    assertThat(next.finishedEarlier(25)).isTrue();
    assertThat(next.finishedEarlier(30)).isFalse();
  }

  @Test
  void shouldEncodeFewUnfinishedRecordsFarApartAsGaps() {
    // given: two unfinished records 100,000 offsets apart (a bitmap would not fit)
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.fetched(0);
    offsets.fetched(100_000);
    offsets.fetched(100_001);
    offsets.finished(100_001);

    // when
    String metadata = offsets.metadata();

    // then
    assertThat(metadata).startsWith("jg1;").hasSizeLessThan(30);
    PartitionOffsets restored = PartitionOffsets.restored(0, metadata);
    assertThat(restored.finishedEarlier(100_000)).isFalse();
    assertThat(restored.finishedEarlier(100_001)).isTrue();
    // offsets between two fetched ones were no records (transaction markers, compacted away)
    assertThat(restored.finishedEarlier(50_000)).isTrue();
  }

  @Test
  void shouldLeaveTheMetadataOutWhenItWouldNotFit() {
    // given: 10,000 unfinished records, every other one
    PartitionOffsets offsets = new PartitionOffsets();
    for (long offset = 0; offset < 200_000; offset++) {
      offsets.fetched(offset);
      if (offset % 20 != 0) {
        offsets.finished(offset);
      }
    }

    // then: neither a bitmap nor the gaps fit in 3,000 characters; the next owner relies on the job history
    assertThat(offsets.metadata()).isEmpty();
    assertThat(PartitionOffsets.restored(0, "").finishedEarlier(1)).isFalse();
  }

  @Test
  void shouldIgnoreMetadataItCannotRead() {
    PartitionOffsets restored = PartitionOffsets.restored(5, "written by someone else");

    assertThat(restored.finishedEarlier(6)).isFalse();
    assertThat(restored.position()).isEqualTo(5);
  }
}
