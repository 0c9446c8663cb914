package ai.gateway.worker.provider.gemini;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GeminiStreamDecoderTest {

  private static final String CRLF = "\r\n";

  @Test
  void shouldTakeUsageFromTheLastChunkOnlyAndCountThinkingAsOutput() {
    // given: intermediate chunks report other prompt counts and no candidates count
    String stream = event("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"thinking...\",\"thought\":true},"
        + "{\"text\":\"There are\"}]}}],\"usageMetadata\":{\"promptTokenCount\":16,\"totalTokenCount\":16}}")
        + event("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" 3\"}]},\"finishReason\":\"STOP\"}],"
        + "\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":23,\"thoughtsTokenCount\":185,"
        + "\"totalTokenCount\":217},\"modelVersion\":\"gemini-3.5-flash\"}")
        + event("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\",\"thoughtSignature\":\"abc\"}]}}]}");

    // when
    Result result = decode(stream, 17);

    // then
    assertThat(result.failure).isNull();
    assertThat(result.events).containsExactly(new TextDelta("There are"), new TextDelta(" 3"),
        new UsageReport(9, 208, 217), new Finished("STOP", "gemini-3.5-flash", null));
  }

  @Test
  void shouldReadALegacyStreamWithAFinishReasonOnEveryChunkToItsEnd() {
    // when
    Result result = decode(event(chunk("One", "STOP")) + event(chunk(" two", "STOP")) + event(chunk(" three", "STOP")),
        5);

    // then
    assertThat(result.events).filteredOn(TextDelta.class::isInstance)
        .containsExactly(new TextDelta("One"), new TextDelta(" two"), new TextDelta(" three"));
    assertThat(result.events).last().isEqualTo(new Finished("STOP", null, null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"SAFETY", "PROHIBITED_CONTENT", "RECITATION", "BLOCKLIST", "SPII"})
  void shouldReportFilteringFinishReasonsAsContentFilteredAfterTheTextAndUsage(String reason) {
    // when
    Result result = decode(event(chunk("Here is how", null)) + event("{\"candidates\":[{\"finishReason\":\"" + reason
        + "\"}],\"usageMetadata\":{\"promptTokenCount\":15,\"candidatesTokenCount\":3,\"totalTokenCount\":18}}"), 11);

    // then
    assertThat(result.events).containsExactly(new TextDelta("Here is how"), new UsageReport(15, 3, 18));
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.CONTENT_FILTERED);
    assertThat(result.failure.getMessage()).contains(reason);
  }

  @Test
  void shouldReportABlockedPromptAsContentFiltered() {
    // when
    Result result = decode(event("{\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},"
        + "\"usageMetadata\":{\"promptTokenCount\":9,\"totalTokenCount\":9}}"), 64);

    // then
    assertThat(result.events).containsExactly(new UsageReport(9, 0, 9));
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.CONTENT_FILTERED);
  }

  @Test
  void shouldFailWithABareErrorObjectSentOverSeveralLinesAfterTheTextSoFar() {
    // given: no data: prefix, pretty-printed, with braces inside a string
    String error = "{" + CRLF + "  \"error\": {" + CRLF + "    \"code\": 503," + CRLF
        + "    \"message\": \"The model is overloaded {see docs}.\"," + CRLF + "    \"status\": \"UNAVAILABLE\"" + CRLF
        + "  }" + CRLF + "}" + CRLF;

    // when
    Result result = decode(event(chunk("The", null)) + error, 4);

    // then
    assertThat(result.events).containsExactly(new TextDelta("The"));
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.OVERLOADED);
  }

  @Test
  void shouldFailWithAnErrorObjectSentAsAnEvent() {
    // when
    Result result = decode(event(chunk("The", null))
        + event("{\"error\":{\"code\":500,\"message\":\"An internal error\",\"status\":\"INTERNAL\"}}"), 64);

    // then
    assertThat(result.events).containsExactly(new TextDelta("The"));
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.TRANSIENT);
  }

  @Test
  void shouldNotEndCleanlyWithoutAFinishReasonNorReportIntermediateUsage() {
    // when
    Result result = decode(event("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"The\"}]}}],"
        + "\"usageMetadata\":{\"promptTokenCount\":7,\"totalTokenCount\":7}}"), 64);

    // then
    assertThat(result.events).containsExactly(new TextDelta("The"));
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.MALFORMED);
  }

  @Test
  void shouldDecodeANonStreamBodyAndTheJsonArrayOfTheNonSseMode() {
    // given
    String single = chunk("a + b = 15", "STOP");
    String array = "[" + chunk("a + b", null) + "," + chunk(" = 15", "STOP") + "]";

    // when
    Decoded one = GeminiStreamDecoder.decodeBody(single.getBytes(StandardCharsets.UTF_8));
    Decoded many = GeminiStreamDecoder.decodeBody(array.getBytes(StandardCharsets.UTF_8));

    // then
    assertThat(one.events()).containsExactly(new TextDelta("a + b = 15"), new Finished("STOP", null, null));
    assertThat(many.events()).containsExactly(new TextDelta("a + b"), new TextDelta(" = 15"),
        new Finished("STOP", null, null));
  }

  private static String chunk(String text, @Nullable String finishReason) {
    return "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"" + text + "\"}],\"role\": \"model\"}"
        + (finishReason == null ? "" : ",\"finishReason\": \"" + finishReason + "\"") + ",\"index\": 0}]}";
  }

  private static String event(String json) {
    return "data: " + json + CRLF + CRLF;
  }

  private record Result(List<ProviderEvent> events, @Nullable ProviderException failure) {
  }

  private static Result decode(String stream, int size) {
    byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
    GeminiStreamDecoder decoder = new GeminiStreamDecoder();
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
