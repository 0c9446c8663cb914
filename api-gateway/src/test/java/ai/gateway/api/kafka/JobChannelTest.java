package ai.gateway.api.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** How a job's channel merges its catch-up read with the live records it buffered, and what it gives each holder. */
class JobChannelTest {

  private final JobChannel channel = new JobChannel("job-1", 2,
      () -> ApiError.of(ErrorCode.UNAVAILABLE, "slow").exception());

  @Test
  void shouldMergeTheCatchUpWithLiveRecordsFromItsEndOffsetOnceEach() {
    // given: live records at offsets 11..13 arrive while the catch-up reads below its end offset 12
    channel.hold();
    channel.live(chunk(1, 2), 11);
    channel.live(chunk(1, 3), 12);
    channel.live(chunk(1, 4), 13);

    // when: the catch-up ends with the events below 12 (1.1 and 1.2)
    channel.caughtUp(new KafkaReplay.CatchUp(List.of(chunk(1, 1), chunk(1, 2)), 12, false));

    // then: every event once, in order; later live events follow; the terminal event completes
    StepVerifier.create(ids(channel))
        .expectNext("1.1", "1.2", "1.3", "1.4")
        .then(() -> channel.live(chunk(1, 4), 13)) // a record seen again: dropped
        .then(() -> channel.live(done(1, 5), 14))
        .expectNext("1.5")
        .verifyComplete();
  }

  @Test
  void shouldGiveALaterHolderTheHistoryFromMemoryAndDropAnOlderAttemptsLateEvents() {
    // given: a caught-up channel past attempt 2's first event
    channel.hold();
    channel.caughtUp(new KafkaReplay.CatchUp(List.of(chunk(1, 1), chunk(2, 1)), 5, false));
    channel.live(chunk(1, 2), 5); // attempt 1, late

    // when / then: a second holder gets the history, then the live events
    channel.hold();
    StepVerifier.create(ids(channel))
        .expectNext("1.1", "2.1")
        .then(() -> channel.live(done(2, 2), 6))
        .expectNext("2.2")
        .verifyComplete();
  }

  @Test
  void shouldEndASubscriberThatDoesNotReadWithUnavailableAndKeepTheOthers() {
    channel.hold();
    channel.caughtUp(new KafkaReplay.CatchUp(List.of(), 0, false));
    // a subscriber requesting nothing: its buffer (2) overflows at the third live event
    StepVerifier.create(channel.events(), 0)
        .then(() -> {
          channel.live(chunk(1, 1), 0);
          channel.live(chunk(1, 2), 1);
          channel.live(chunk(1, 3), 2);
        })
        .thenRequest(3)
        .expectNextCount(2)
        .expectErrorSatisfies(error -> assertThat(((ApiException) error).error().code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .verify(Duration.ofSeconds(5));
    // and: a new holder still reads on
    StepVerifier.create(ids(channel))
        .expectNext("1.1", "1.2", "1.3")
        .then(() -> channel.live(done(1, 4), 3))
        .expectNext("1.4")
        .verifyComplete();
  }

  @Test
  void shouldCloseWithTheLastHolderAndTakeNoMore() {
    channel.hold();
    channel.hold();
    assertThat(channel.release()).isFalse();
    assertThat(channel.release()).isTrue();
    assertThat(channel.hold()).isFalse();
  }

  private static reactor.core.publisher.Flux<String> ids(JobChannel channel) {
    return channel.events().map(event -> EventPosition.of(event).toString());
  }

  private static GenerationEvent chunk(int attempt, int seq) {
    return event(attempt, seq, GenerationEventType.CHUNK);
  }

  private static GenerationEvent done(int attempt, int seq) {
    return event(attempt, seq, GenerationEventType.DONE);
  }

  private static GenerationEvent event(int attempt, int seq, GenerationEventType type) {
    return GenerationEvent.newBuilder().setJobId("job-1").setAttempt(attempt).setSeq(seq).setType(type)
        .setContent(type == GenerationEventType.CHUNK ? "x" : null).setTimestamp(Instant.EPOCH).build();
  }
}
