package ai.gateway.api.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which events a replay keeps and when it ends (the reading itself runs on a broker in {@code ReplyRoutingIT}). */
class KafkaReplayTest {

  @Test
  void shouldKeepEventsAfterThePositionInRelayOrderUntilTheTerminalOne() {
    // given: a duplicate, a second attempt replacing the first, a late event of the first
    List<GenerationEvent> topic = List.of(chunk(1, 1), chunk(1, 2), chunk(1, 3), chunk(1, 3), chunk(1, 4), chunk(2, 1),
        chunk(1, 5), chunk(2, 2), done(2, 3), chunk(2, 4));

    // when
    List<String> kept = replay(new EventPosition(1, 2), topic);

    // then
    assertThat(kept).containsExactly("1.3", "1.4", "2.1", "2.2", "2.3");
  }

  @Test
  void shouldReplayEverythingWithoutAPosition() {
    assertThat(replay(null, List.of(chunk(1, 1), done(1, 2)))).containsExactly("1.1", "1.2");
  }

  @Test
  void shouldEndAtOnceWhenTheCallerHadSeenTheTerminalEvent() {
    // given
    KafkaReplay.Replayed replayed = new KafkaReplay.Replayed(new EventPosition(1, 3));

    // when
    Stream.of(chunk(1, 1), chunk(1, 2), done(1, 3)).forEach(replayed::admit);

    // then
    assertThat(replayed.finished).isTrue();
  }

  @Test
  void shouldNotEndOnAnOlderAttemptsTerminalEvent() {
    KafkaReplay.Replayed replayed = new KafkaReplay.Replayed(new EventPosition(2, 1));

    replayed.admit(done(1, 3));

    assertThat(replayed.finished).isFalse();
  }

  @Test
  void shouldParseAndPrintEventIds() {
    assertThat(EventPosition.parse("3.17")).isEqualTo(new EventPosition(3, 17));
    assertThat(new EventPosition(3, 17)).hasToString("3.17");
    assertThat(new EventPosition(2, 1)).isGreaterThan(new EventPosition(1, 99));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "1.", ".1", "0.1", "1.0", "-1.2", "01.2", "1.2.3", "a.b", "1.99999999999", " 1.2"})
  void shouldRefuseMalformedEventIds(String id) {
    assertThatIllegalArgumentException().isThrownBy(() -> EventPosition.parse(id));
  }

  private static List<String> replay(@Nullable EventPosition after, List<GenerationEvent> topic) {
    KafkaReplay.Replayed replayed = new KafkaReplay.Replayed(after);
    return topic.stream()
        .takeWhile(event -> !replayed.finished)
        .filter(replayed::admit)
        .map(event -> EventPosition.of(event).toString())
        .toList();
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
