package ai.gateway.api.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import ai.gateway.api.config.GatewayProperties.RateLimit.Window;
import org.junit.jupiter.api.Test;

class SlidingWindowLogTest {

  private static final Window MINUTE = new Window(Duration.ofMinutes(1), 10);
  private static final Window HOUR = new Window(Duration.ofHours(1), 60);
  private final SlidingWindowLog algorithm = new SlidingWindowLog(List.of(MINUTE, HOUR));

  private long[] log = SlidingWindowLog.empty();

  @Test
  void shouldAdmitTenInAMinuteAndRejectTheEleventhWithTheWaitUntilTheOldestLeaves() {
    for (int i = 0; i < 10; i++) {
      assertThat(offer(seconds(i)).admitted()).isTrue();
    }

    RateLimitDecision eleventh = offer(seconds(30));

    assertThat(eleventh.admitted()).isFalse();
    assertThat(eleventh.limitedBy()).isEqualTo(MINUTE);
    assertThat(eleventh.retryAfter()).isEqualTo(Duration.ofSeconds(30)); // the entry of t=0 leaves at t=60
    assertThat(log).hasSize(10);
  }

  @Test
  void shouldRejectTheSecondBatchAcrossAMinuteBoundaryBecauseTheWindowSlides() {
    // given: 10 at t=59.9 s
    for (int i = 0; i < 10; i++) {
      assertThat(offer(millis(59_900)).admitted()).isTrue();
    }

    // when: 10 more at t=60.1 s, just past where a fixed window would have reset
    List<RateLimitDecision> second = java.util.stream.IntStream.range(0, 10).mapToObj(i -> offer(millis(60_100))).toList();

    // then
    assertThat(second).allSatisfy(decision -> {
      assertThat(decision.admitted()).isFalse();
      assertThat(decision.limitedBy()).isEqualTo(MINUTE);
      assertThat(decision.retryAfter()).isEqualTo(Duration.ofMillis(59_800));
    });
    assertThat(offer(millis(119_899)).admitted()).isFalse();
    assertThat(offer(millis(119_900)).admitted()).isTrue(); // t=59.9 + 60 s: the first entry has left
  }

  @Test
  void shouldRejectTheSixtyFirstInAnHourWhileTheMinuteHasRoom() {
    // given: 60 admitted in six bursts of 10, 61 s apart
    for (int burst = 0; burst < 6; burst++) {
      for (int i = 0; i < 10; i++) {
        assertThat(offer(seconds(burst * 61L)).admitted()).isTrue();
      }
    }

    // when: one more at t=400 s, when the last minute holds nothing
    RateLimitDecision sixtyFirst = offer(seconds(400));

    // then
    assertThat(sixtyFirst.admitted()).isFalse();
    assertThat(sixtyFirst.limitedBy()).isEqualTo(HOUR);
    assertThat(sixtyFirst.retryAfter()).isEqualTo(Duration.ofSeconds(3200)); // the first burst leaves at t=3600
    assertThat(offer(seconds(3599)).admitted()).isFalse();
    assertThat(offer(seconds(3600)).admitted()).isTrue();
  }

  @Test
  void shouldNeverAdmitMoreThanTheLimitInAnyWindowOfItsLength() {
    // given: offers every 700 ms for two hours
    java.util.List<Long> admitted = new java.util.ArrayList<>();
    for (long t = 0; t < 7_200_000; t += 700) {
      if (offer(millis(t)).admitted()) {
        admitted.add(t);
      }
    }

    // then: no interval [t, t+60 s) holds more than 10, none of [t, t+1 h) more than 60, and the limit is reached
    for (int i = 0; i + 10 < admitted.size(); i++) {
      assertThat(admitted.get(i + 10) - admitted.get(i)).isGreaterThanOrEqualTo(60_000);
    }
    for (int i = 0; i + 60 < admitted.size(); i++) {
      assertThat(admitted.get(i + 60) - admitted.get(i)).isGreaterThanOrEqualTo(3_600_000);
    }
    assertThat(admitted).hasSize(120);
  }

  @Test
  void shouldLeaveTheLogUnchangedWhenItRejectsExceptForPruning() {
    for (int i = 0; i < 10; i++) {
      offer(seconds(i));
    }
    long[] before = log.clone();

    assertThat(offer(seconds(20)).admitted()).isFalse();

    assertThat(log).containsExactly(before);
  }

  @Test
  void shouldKeepOnlyEntriesOfTheLongestWindow() {
    offer(seconds(0));
    offer(seconds(10));
    offer(seconds(3_605));

    assertThat(log).containsExactly(seconds(10), seconds(3_605));
  }

  @Test
  void shouldKeepTheLogSortedWhenTheClockStepsBack() {
    offer(seconds(100));

    assertThat(offer(seconds(90)).admitted()).isTrue();

    assertThat(log).containsExactly(seconds(100), seconds(100));
  }

  private RateLimitDecision offer(long nowMicros) {
    SlidingWindowLog.Outcome outcome = algorithm.offer(log, nowMicros);
    log = outcome.log();
    return outcome.decision();
  }

  private static long seconds(long s) {
    return s * 1_000_000L;
  }

  private static long millis(long ms) {
    return ms * 1_000L;
  }
}
