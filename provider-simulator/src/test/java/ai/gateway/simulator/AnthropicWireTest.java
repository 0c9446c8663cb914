package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.simulator.AnthropicWire.Events;
import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Failure;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

class AnthropicWireTest {

  private static final Instant NOW = Instant.parse("2026-03-03T10:15:00.123Z");

  @ParameterizedTest
  @EnumSource(Failure.class)
  void shouldRenderEveryFailureInAnthropicsErrorEnvelope(Failure failure) {
    WireResponse error = AnthropicWire.error(failure, "claude-x", "req_sim-1", NOW);

    JsonNode body = Json.MAPPER.readTree(error.body());
    assertThat(body.propertyNames()).containsExactly("type", "error", "request_id");
    assertThat(body.path("type").stringValue()).isEqualTo("error");
    assertThat(body.path("error").propertyNames()).containsExactly("type", "message");
    assertThat(body.at("/error/message").stringValue()).isNotBlank();
    assertThat(error.headers()).containsEntry("request-id", "req_sim-1");
    assertThat(error.contentType()).isEqualTo("application/json");
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource({
      "RATE_LIMITED, 429, rate_limit_error", "SERVER_ERROR, 500, api_error", "OVERLOADED, 529, overloaded_error",
      "INVALID_API_KEY, 401, authentication_error", "INVALID_REQUEST, 400, invalid_request_error",
      "CONTEXT_LENGTH_EXCEEDED, 400, invalid_request_error", "INSUFFICIENT_QUOTA, 400, invalid_request_error",
      "MODEL_NOT_FOUND, 404, not_found_error"})
  void shouldUseAnthropicsStatusAndErrorType(Failure failure, int status, String type) {
    WireResponse error = AnthropicWire.error(failure, "claude-x", "req_sim-1", NOW);

    assertThat(error.status()).isEqualTo(status);
    assertThat(Json.MAPPER.readTree(error.body()).at("/error/type").stringValue()).isEqualTo(type);
  }

  @Test
  void shouldTellContextLengthQuotaAndTheTokenWordTrapApartByMessageOnly() {
    String context = message(Failure.CONTEXT_LENGTH_EXCEEDED);
    String quota = message(Failure.INSUFFICIENT_QUOTA);
    String trap = message(Failure.INVALID_REQUEST);

    assertThat(context).startsWith("prompt is too long");
    assertThat(quota).contains("credit balance is too low");
    assertThat(trap).contains("tokens").doesNotContain("prompt is too long");
  }

  @Test
  void shouldSendRetryAfterAndRfc3339ResetsOnlyOnRateLimits() {
    WireResponse rateLimit = AnthropicWire.error(Failure.RATE_LIMITED, "m", "req_1", NOW);
    WireResponse quota = AnthropicWire.error(Failure.INSUFFICIENT_QUOTA, "m", "req_1", NOW);

    assertThat(rateLimit.headers()).containsEntry("retry-after", "1")
        .containsEntry("anthropic-ratelimit-input-tokens-reset", "2026-03-03T10:15:01Z");
    assertThat(quota.headers()).doesNotContainKey("retry-after");
    assertThat(AnthropicWire.error(Failure.OVERLOADED, "m", "req_1", NOW).headers())
        .containsEntry("x-should-retry", "true");
  }

  @Test
  void shouldFrameEventsWithAnEventLineNamedAfterTheDataType() {
    Events events = new Events("msg_1", "claude-x");

    for (String frame : new String[] {events.messageStart(7), AnthropicWire.CONTENT_BLOCK_START, AnthropicWire.PING,
        events.textDelta(" \"quoted\"\n"), AnthropicWire.CONTENT_BLOCK_STOP,
        events.messageDelta(Ending.STOP, 7, 3, true), AnthropicWire.MESSAGE_STOP, AnthropicWire.OVERLOADED_EVENT}) {
      assertThat(frame).matches("(?s)event: [a-z_]+\ndata: \\{.*}\n\n").doesNotContain("\r");
      String name = frame.substring("event: ".length(), frame.indexOf('\n'));
      JsonNode data = Json.MAPPER.readTree(frame.substring(frame.indexOf("data: ") + 6));
      assertThat(data.path("type").stringValue()).isEqualTo(name);
    }
    JsonNode delta = data(events.textDelta(" \"quoted\"\n"));
    assertThat(delta.at("/delta/type").stringValue()).isEqualTo("text_delta");
    assertThat(delta.at("/delta/text").stringValue()).isEqualTo(" \"quoted\"\n");
  }

  @Test
  void shouldStartWithInputTokensAndAnOutputCountOfOne() {
    JsonNode start = data(new Events("msg_1", "claude-x").messageStart(7)).path("message");

    assertThat(start.at("/usage/input_tokens").longValue()).isEqualTo(7);
    assertThat(start.at("/usage/output_tokens").longValue()).isEqualTo(1);
    assertThat(start.path("content").isEmpty()).isTrue();
    assertThat(start.path("stop_reason").isNull()).isTrue();
    assertThat(start.path("model").stringValue()).isEqualTo("claude-x");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"STOP, end_turn", "LENGTH, max_tokens", "CONTENT_FILTER, refusal"})
  void shouldEndWithTheStopReasonAndCumulativeUsage(Ending ending, String stopReason) {
    JsonNode delta = data(new Events("msg_1", "m").messageDelta(ending, 7, 12, true));

    assertThat(delta.at("/delta/stop_reason").stringValue()).isEqualTo(stopReason);
    assertThat(delta.at("/delta/stop_sequence").isNull()).isTrue();
    assertThat(delta.at("/usage/output_tokens").longValue()).isEqualTo(12);
    assertThat(delta.at("/usage/input_tokens").longValue()).isEqualTo(7);
  }

  @Test
  void shouldLeaveTheUsageOutOfMessageDeltaAndTheBodyWhenAskedTo() {
    JsonNode delta = data(new Events("msg_1", "m").messageDelta(Ending.STOP, 7, 12, false));
    JsonNode body = Json.MAPPER.readTree(AnthropicWire.message("msg_1", "m", "hi", Ending.STOP, 7, 12, false));

    assertThat(delta.has("usage")).isFalse();
    assertThat(body.has("usage")).isFalse();
  }

  @Test
  void shouldRenderTheNonStreamMessage() {
    JsonNode body = Json.MAPPER.readTree(AnthropicWire.message("msg_1", "claude-x", " a b", Ending.LENGTH, 7, 2,
        true));

    assertThat(body.path("type").stringValue()).isEqualTo("message");
    assertThat(body.path("role").stringValue()).isEqualTo("assistant");
    assertThat(body.at("/content/0/text").stringValue()).isEqualTo(" a b");
    assertThat(body.path("stop_reason").stringValue()).isEqualTo("max_tokens");
    assertThat(body.at("/usage/input_tokens").longValue()).isEqualTo(7);
    assertThat(body.at("/usage/output_tokens").longValue()).isEqualTo(2);
  }

  private static String message(Failure failure) {
    return Json.MAPPER.readTree(AnthropicWire.error(failure, "m", "req_1", NOW).body()).at("/error/message")
        .stringValue();
  }

  private static JsonNode data(String frame) {
    return Json.MAPPER.readTree(frame.substring(frame.indexOf("data: ") + "data: ".length()));
  }
}
