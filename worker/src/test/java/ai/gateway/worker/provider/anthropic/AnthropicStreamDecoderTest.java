package ai.gateway.worker.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.worker.provider.Decoded;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.Finished;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class AnthropicStreamDecoderTest {

  private static final String START = """
      event: message_start
      data: {"type":"message_start","message":{"model":"claude-sonnet-4-6","usage":{"input_tokens":25,"output_tokens":1}}}

      """;
  private static final String TEXT = """
      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

      event: ping
      data: {"type": "ping"}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

      event: some_future_event
      data: {"type":"some_future_event","x":1}

      """;
  private static final String END = """
      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}

      event: message_stop
      data: {"type":"message_stop"}

      """;

  @Test
  void shouldReplaceMessageStartUsageWithTheCumulativeMessageDeltaUsage() {
    // when
    Result result = decode(START + TEXT + END, 7);

    // then: never 25 + 25 input or 1 + 15 output
    assertThat(result.failure).isNull();
    assertThat(result.events).containsExactly(UsageReport.promptOnly(25), new TextDelta("Hello"),
        new UsageReport(25, 15, 40), new Finished("end_turn", "claude-sonnet-4-6", null));
  }

  @Test
  void shouldTakeTheInputCountFromMessageDeltaWhenItRepeatsIt() {
    // when
    Result result = decode(START + TEXT + END.replace("\"output_tokens\":15", "\"input_tokens\":30,\"output_tokens\":15"), 50);

    // then
    assertThat(result.events).contains(new UsageReport(30, 15, 45));
  }

  @Test
  void shouldFailWithTheClassifiedErrorOfAnErrorEventAfterTheTextSoFar() {
    // when
    Result result = decode(START + TEXT + """
        event: error
        data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}

        """, 11);

    // then
    assertThat(result.events).containsExactly(UsageReport.promptOnly(25), new TextDelta("Hello"));
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.OVERLOADED);
    assertThat(result.failure.failureClass().retryable()).isTrue();
  }

  @Test
  void shouldReportARefusalAsContentFilteredWithItsUsage() {
    // when
    Result result = decode(START + END.replace("end_turn", "refusal").replace("15", "0"), 64);

    // then
    assertThat(result.events).containsExactly(UsageReport.promptOnly(25), new UsageReport(25, 0, 25));
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.CONTENT_FILTERED);
  }

  @Test
  void shouldNotEndCleanlyWithoutMessageStop() {
    // when
    Result noStop = decode(START + TEXT + END.substring(0, END.indexOf("event: message_stop")), 13);
    Result noDelta = decode(START + TEXT, 13);

    // then
    assertThat(noStop.failure.failureClass()).isEqualTo(FailureClass.MALFORMED);
    assertThat(noStop.events).noneMatch(Finished.class::isInstance);
    assertThat(noDelta.failure.failureClass()).isEqualTo(FailureClass.MALFORMED);
  }

  @Test
  void shouldTreatUndecodableJsonAsMalformed() {
    // when
    Result result = decode(START + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\n\n", 9);

    // then
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.MALFORMED);
    assertThat(result.failure.getMessage()).doesNotContain("content_block_delta");
  }

  @Test
  void shouldDecodeAWholeNonStreamingMessage() {
    // given
    String body = """
        {"model":"claude-sonnet-4-5-20250929","type":"message","role":"assistant",
         "content":[{"type":"thinking","thinking":"..."},{"type":"text","text":"Hi there"}],
         "stop_reason":"max_tokens","usage":{"input_tokens":12,"output_tokens":3}}""";

    // when
    Decoded decoded = AnthropicStreamDecoder.decodeMessage(body.getBytes(StandardCharsets.UTF_8));

    // then
    assertThat(decoded.failure()).isNull();
    assertThat(decoded.events()).containsExactly(new TextDelta("Hi there"), new UsageReport(12, 3, 15),
        new Finished("max_tokens", "claude-sonnet-4-5-20250929", null));
  }

  private record Result(List<ProviderEvent> events, @Nullable ProviderException failure) {
  }

  /** Feeds the stream in reads of {@code size} bytes, then ends it. */
  private static Result decode(String stream, int size) {
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    AnthropicStreamDecoder decoder = new AnthropicStreamDecoder();
    List<ProviderEvent> events = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += size) {
      Decoded decoded = decoder.decode(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + size)));
      events.addAll(decoded.events());
      if (decoded.failure() != null) {
        return new Result(events, decoded.failure());
      }
    }
    Decoded end = decoder.end();
    events.addAll(end.events());
    return new Result(events, end.failure());
  }
}
