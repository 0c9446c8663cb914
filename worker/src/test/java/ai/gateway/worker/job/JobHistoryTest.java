package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.worker.job.JobHistory.Run;
import ai.gateway.worker.job.JobHistory.Skip;
import ai.gateway.worker.job.JobHistory.Wait;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class JobHistoryTest {

  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

  private final JobHistory history = new JobHistory("worker-here", Duration.ofSeconds(20));
  private final GenerationJob job = JobFixtures.streamJob().build();

  @Test
  void shouldRunAJobNeverSeenAsItsDelivery() {
    assertThat(history.decide(job, NOW)).isEqualTo(new Run(1));
    assertThat(history.decide(GenerationJob.newBuilder(job).setDelivery(3).build(), NOW)).isEqualTo(new Run(3));
  }

  @Test
  void shouldSkipAJobThatReachedATerminalStateWhateverCameAfter() {
    // given: the terminal status, then a late heartbeat of the same attempt and one of a newer attempt
    history.observed(status(JobState.SUCCEEDED, 1, "worker-a", null), NOW);
    history.observed(status(JobState.RUNNING, 1, "worker-a", NOW.plusSeconds(10)), NOW);
    history.observed(status(JobState.RUNNING, 2, "worker-b", NOW.plusSeconds(10)), NOW);

    // then: the first terminal event wins
    assertThat(history.decide(job, NOW)).isEqualTo(new Skip(1));
  }

  @Test
  void shouldWaitForAnAttemptWhoseLeaseIsAliveThenRunTheNextAttemptOnceItLapsed() {
    // given
    history.observed(status(JobState.RUNNING, 1, "worker-a", NOW.plusSeconds(5)), NOW);

    // then
    assertThat(history.decide(job, NOW)).isEqualTo(new Wait("worker-a", NOW.plusSeconds(5)));
    assertThat(history.decide(job, NOW.plusSeconds(5))).isEqualTo(new Run(2));
  }

  @Test
  void shouldFollowTheRenewedLeaseAndIgnoreAnOlderAttemptReadLate() {
    // given: attempt 2 renews; a heartbeat of the dead attempt 1 is read after it
    history.observed(status(JobState.RUNNING, 2, "worker-b", NOW.plusSeconds(5)), NOW);
    history.observed(status(JobState.RUNNING, 2, "worker-b", NOW.plusSeconds(25)), NOW.plusSeconds(20));
    history.observed(status(JobState.RUNNING, 1, "worker-a", NOW.plusSeconds(60)), NOW.plusSeconds(20));

    // then
    assertThat(history.decide(job, NOW.plusSeconds(24))).isEqualTo(new Wait("worker-b", NOW.plusSeconds(25)));
    assertThat(history.decide(job, NOW.plusSeconds(25))).isEqualTo(new Run(3));
  }

  @Test
  void shouldPresumeARunningStatusWithoutLeaseAliveForOneLease() {
    history.observed(JobStatus.newBuilder(status(JobState.RUNNING, 1, "worker-old", null)).build(), NOW);

    assertThat(history.decide(job, NOW.plusSeconds(19))).isInstanceOf(Wait.class);
    assertThat(history.decide(job, NOW.plusSeconds(20))).isEqualTo(new Run(2));
  }

  @Test
  void shouldWaitForItsOwnAttemptThenSkipWhenItsRecordsAreOnTheBroker() {
    // given
    history.startedHere(job.getJobId(), 1, NOW);

    // then: a second copy of the record waits, even past the lease (the attempt runs here)
    assertThat(history.decide(job, NOW.plusSeconds(60))).isInstanceOf(Wait.class);

    // when
    history.endedHere(job.getJobId(), 1, true, NOW.plusSeconds(61));

    // then
    assertThat(history.decide(job, NOW.plusSeconds(61))).isEqualTo(new Skip(1));
  }

  @Test
  void shouldRunANewAttemptWhenItsOwnAttemptCouldNotWriteItsEnd() {
    history.startedHere(job.getJobId(), 1, NOW);
    history.endedHere(job.getJobId(), 1, false, NOW.plusSeconds(1));

    assertThat(history.decide(job, NOW.plusSeconds(1))).isEqualTo(new Run(2));
  }

  @Test
  void shouldIgnoreStatesThatSayNothingAboutAttempts() {
    history.observed(status(JobState.QUEUED, 1, null, null), NOW);

    assertThat(history.decide(job, NOW)).isEqualTo(new Run(1));
    assertThat(history.size()).isZero();
  }

  @Test
  void shouldForgetOldJobsButNotThoseRunningHere() {
    // given
    history.observed(status(JobState.SUCCEEDED, 1, "worker-a", null), NOW);
    GenerationJob mine = JobFixtures.streamJob().build();
    history.startedHere(mine.getJobId(), 1, NOW);

    // when
    history.forgetBefore(NOW.plusSeconds(1));

    // then
    assertThat(history.size()).isEqualTo(1);
    assertThat(history.decide(job, NOW)).isEqualTo(new Run(1));
    assertThat(history.decide(mine, NOW)).isInstanceOf(Wait.class);
  }

  private JobStatus status(JobState state, int attempt, @Nullable String workerId, @Nullable Instant lease) {
    return JobStatus.newBuilder()
        .setJobId(job.getJobId())
        .setUserId(job.getUserId())
        .setState(state)
        .setAttempt(attempt)
        .setWorkerId(workerId)
        .setLeaseExpiresAt(lease)
        .setTimestamp(NOW)
        .build();
  }
}
