package ai.gateway.api.jobs;

import static ai.gateway.api.jobs.JobPhase.CANCELLED;
import static ai.gateway.api.jobs.JobPhase.FAILED;
import static ai.gateway.api.jobs.JobPhase.QUEUED;
import static ai.gateway.api.jobs.JobPhase.RUNNING;
import static ai.gateway.api.jobs.JobPhase.SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.schemas.v1.JobState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobPhaseTest {

  @ParameterizedTest(name = "{0}@{1} + {2}@{3} -> {4}")
  @CsvSource({
      // queued moves to running or to any end
      "QUEUED, 0, RUNNING, 1, true",
      "QUEUED, 0, SUCCEEDED, 1, true",
      "QUEUED, 0, CANCELLED, 1, true",
      // running: a later attempt moves it; the same or an older attempt's RUNNING does not
      "RUNNING, 1, RUNNING, 2, true",
      "RUNNING, 2, RUNNING, 2, false",
      "RUNNING, 2, RUNNING, 1, false",
      // the first terminal record wins, whatever its attempt
      "RUNNING, 2, FAILED, 1, true",
      "RUNNING, 1, SUCCEEDED, 1, true",
      // nothing moves a finished job
      "SUCCEEDED, 1, RUNNING, 2, false",
      "SUCCEEDED, 1, FAILED, 2, false",
      "FAILED, 1, SUCCEEDED, 1, false",
      "CANCELLED, 1, SUCCEEDED, 1, false",
      "SUCCEEDED, 1, SUCCEEDED, 1, false",
      // QUEUED is no news
      "RUNNING, 1, QUEUED, 1, false",
      "QUEUED, 0, QUEUED, 1, false"})
  void shouldOnlyMoveForward(JobPhase current, int currentAttempt, JobPhase next, int nextAttempt, boolean advances) {
    assertThat(JobPhase.advances(current, currentAttempt, next, nextAttempt)).isEqualTo(advances);
  }

  @Test
  void shouldIgnoreStatesItDoesNotApply() {
    assertThat(JobPhase.from(JobState.UNKNOWN)).isNull();
    assertThat(JobPhase.from(JobState.QUEUED)).isNull();
    assertThat(JobPhase.from(JobState.CANCELLED)).isEqualTo(CANCELLED);
    assertThat(SUCCEEDED.terminal()).isTrue();
    assertThat(FAILED.terminal()).isTrue();
    assertThat(RUNNING.terminal()).isFalse();
    assertThat(QUEUED.wire()).isEqualTo("queued");
  }
}
