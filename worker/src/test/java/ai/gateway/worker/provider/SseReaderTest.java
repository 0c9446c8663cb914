package ai.gateway.worker.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.gateway.worker.provider.SseReader.Event;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SseReaderTest {

  @ParameterizedTest
  @ValueSource(strings = {"\n", "\r\n", "\r"})
  void shouldSplitEventsOnEveryLineEnding(String eol) {
    // given
    String stream = "data: one" + eol + eol + "data: two" + eol + eol;

    // when
    List<Event> events = feedInPieces(new SseReader(), bytes(stream), 1);

    // then
    assertThat(events).extracting(Event::data).containsExactly("one", "two");
  }

  @Test
  void shouldTreatACrlfSplitAcrossReadsAsOneLineBreak() {
    // given: the CR ends one read, the LF starts the next; an extra blank line would dispatch early
    SseReader reader = new SseReader();

    // when
    List<Event> events = new ArrayList<>(reader.feed(bytes("data: a\r")));
    events.addAll(reader.feed(bytes("\ndata: b\r")));
    events.addAll(reader.feed(bytes("\n\r\n")));

    // then
    assertThat(events).extracting(Event::data).containsExactly("a\nb");
  }

  @Test
  void shouldDecodeMultiByteCharactersCutBetweenReads() {
    // given
    byte[] stream = bytes("data: известни 😀\n\n");

    // when: every possible cut position, including inside each character
    for (int cut = 1; cut < stream.length; cut++) {
      SseReader reader = new SseReader();
      List<Event> events = new ArrayList<>(reader.feed(java.util.Arrays.copyOfRange(stream, 0, cut)));
      events.addAll(reader.feed(java.util.Arrays.copyOfRange(stream, cut, stream.length)));

      // then
      assertThat(events).as("cut at %d", cut).extracting(Event::data).containsExactly("известни 😀");
    }
  }

  @Test
  void shouldSkipCommentsAndKeepEventNames() {
    // given
    String stream = ": keep-alive\n\nevent: message_start\ndata: {\"a\":1}\n\n:another\ndata:x\n\n";

    // when
    List<Event> events = new SseReader().feed(bytes(stream));

    // then
    assertThat(events).containsExactly(new Event("message_start", "{\"a\":1}"), new Event(null, "x"));
  }

  @Test
  void shouldDispatchTheLastEventWhenTheStreamEndsWithoutABlankLine() {
    // given
    SseReader reader = new SseReader();

    // when
    List<Event> beforeEnd = reader.feed(bytes("data: last"));
    List<Event> atEnd = reader.end();

    // then
    assertThat(beforeEnd).isEmpty();
    assertThat(atEnd).extracting(Event::data).containsExactly("last");
  }

  @Test
  void shouldRejectALineOverTheLimitAsMalformed() {
    // given
    SseReader reader = new SseReader(1024);
    reader.feed(bytes("data: " + "x".repeat(1000)));

    // when / then
    assertThatThrownBy(() -> reader.feed(bytes("y".repeat(100))))
        .isInstanceOfSatisfying(ProviderException.class,
            e -> assertThat(e.failureClass()).isEqualTo(FailureClass.MALFORMED));
  }

  @Test
  void shouldAcceptALineOfExactlyTheLimit() {
    // given
    SseReader reader = new SseReader(1024);
    String line = "data: " + "x".repeat(1024 - 6);

    // when
    List<Event> events = reader.feed(bytes(line + "\n\n"));

    // then
    assertThat(events).singleElement().extracting(Event::data).asString().hasSize(1018);
  }

  @Test
  void shouldHandLinesThatAreNoFieldToTheCallerOnlyWhenAsked() {
    // given: Gemini's bare error object after a normal event
    String stream = "data: {\"a\":1}\r\n\r\n{\r\n  \"error\": {\r\n    \"code\": 500\r\n  }\r\n}\r\n";

    // when
    List<Event> kept = feedInPieces(new SseReader(1 << 20, true), bytes(stream), 3);
    List<Event> dropped = feedInPieces(new SseReader(1 << 20), bytes(stream), 3);

    // then
    assertThat(kept).containsExactly(new Event(null, "{\"a\":1}"), new Event(null, "{", true),
        new Event(null, "  \"error\": {", true), new Event(null, "    \"code\": 500", true),
        new Event(null, "  }", true), new Event(null, "}", true));
    assertThat(dropped).containsExactly(new Event(null, "{\"a\":1}"));
  }

  private static List<Event> feedInPieces(SseReader reader, byte[] bytes, int size) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += size) {
      events.addAll(reader.feed(java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + size))));
    }
    events.addAll(reader.end());
    return events;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
