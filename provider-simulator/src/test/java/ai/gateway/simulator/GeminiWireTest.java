package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.simulator.GeminiWire.Chunks;
import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Failure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

class GeminiWireTest {

  @ParameterizedTest
  @EnumSource(Failure.class)
  void shouldRenderEveryFailureAsAPrettyPrintedGoogleRpcStatus(Failure failure) {
    WireResponse error = GeminiWire.error(failure, "gemini-2.0-flash", GeminiWire.JSON);

    assertThat(error.body()).startsWith("{\n  \"error\": {\n    \"code\": " + error.status() + ",\n")
        .endsWith("\n  }\n}\n");
    JsonNode body = Json.MAPPER.readTree(error.body()).path("error");
    assertThat(body.path("code").intValue()).isEqualTo(error.status());
    assertThat(body.path("message").stringValue()).isNotBlank();
    assertThat(body.path("status").stringValue()).matches("[A-Z_]+");
    assertThat(error.headers()).as("no Retry-After: the delay is in RetryInfo").isEmpty();
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource({
      "RATE_LIMITED, 429, RESOURCE_EXHAUSTED", "SERVER_ERROR, 500, INTERNAL", "OVERLOADED, 503, UNAVAILABLE",
      "INVALID_API_KEY, 400, INVALID_ARGUMENT", "INVALID_REQUEST, 400, INVALID_ARGUMENT",
      "CONTEXT_LENGTH_EXCEEDED, 400, INVALID_ARGUMENT", "INSUFFICIENT_QUOTA, 402, RESOURCE_EXHAUSTED",
      "MODEL_NOT_FOUND, 404, NOT_FOUND"})
  void shouldUseGooglesStatusCodes(Failure failure, int status, String rpcStatus) {
    WireResponse error = GeminiWire.error(failure, "m", GeminiWire.EVENT_STREAM);

    assertThat(error.status()).isEqualTo(status);
    assertThat(error.contentType()).isEqualTo("text/event-stream");
    assertThat(Json.MAPPER.readTree(error.body()).at("/error/status").stringValue()).isEqualTo(rpcStatus);
  }

  @Test
  void shouldPutRetryInfoInARateLimitAndApiKeyInvalidInABadKey() {
    JsonNode rateLimit = Json.MAPPER.readTree(GeminiWire.error(Failure.RATE_LIMITED, "m", GeminiWire.JSON).body());
    JsonNode badKey = Json.MAPPER.readTree(GeminiWire.error(Failure.INVALID_API_KEY, "m", GeminiWire.JSON).body());

    assertThat(rateLimit.at("/error/details")).anySatisfy(detail -> {
      assertThat(detail.path("@type").stringValue()).isEqualTo("type.googleapis.com/google.rpc.RetryInfo");
      assertThat(detail.path("retryDelay").stringValue()).isEqualTo("1s");
    });
    assertThat(badKey.at("/error/details/0/reason").stringValue()).isEqualTo("API_KEY_INVALID");
  }

  @Test
  void shouldFrameChunksWithCrlfAndGeminisJsonStyle() {
    Chunks chunks = new Chunks("gemini-2.0-flash", "sim-1", 7, true);

    String chunk = chunks.content(" \"quoted\"\n");

    assertThat(chunk).startsWith("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": ")
        .endsWith("}\r\n\r\n");
    JsonNode json = data(chunk);
    assertThat(json.at("/candidates/0/content/parts/0/text").stringValue()).isEqualTo(" \"quoted\"\n");
    assertThat(json.at("/candidates/0/content/role").stringValue()).isEqualTo("model");
    assertThat(json.at("/candidates/0/index").intValue()).isZero();
    assertThat(json.at("/usageMetadata/promptTokenCount").longValue()).isEqualTo(7);
    assertThat(json.at("/usageMetadata/candidatesTokenCount").isMissingNode()).isTrue();
    assertThat(json.path("modelVersion").stringValue()).isEqualTo("gemini-2.0-flash");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"STOP, STOP", "LENGTH, MAX_TOKENS"})
  void shouldFinishTheLastContentChunkWithFullUsage(Ending ending, String finishReason) {
    JsonNode last = data(new Chunks("m", "sim-1", 7, true).last(" end", ending, 12));

    assertThat(last.at("/candidates/0/finishReason").stringValue()).isEqualTo(finishReason);
    assertThat(last.at("/candidates/0/content/parts/0/text").stringValue()).isEqualTo(" end");
    assertThat(last.at("/usageMetadata/promptTokenCount").longValue()).isEqualTo(7);
    assertThat(last.at("/usageMetadata/candidatesTokenCount").longValue()).isEqualTo(12);
    assertThat(last.at("/usageMetadata/totalTokenCount").longValue()).isEqualTo(19);
  }

  @Test
  void shouldBlockWithASafetyChunkWithoutContent() {
    JsonNode blocked = data(new Chunks("m", "sim-1", 7, true).safety(5));

    assertThat(blocked.at("/candidates/0/finishReason").stringValue()).isEqualTo("SAFETY");
    assertThat(blocked.at("/candidates/0/content").isMissingNode()).isTrue();
    assertThat(blocked.at("/candidates/0/safetyRatings/0/blocked").booleanValue()).isTrue();
  }

  @Test
  void shouldLeaveUsageMetadataOutEverywhereWithoutUsage() {
    Chunks chunks = new Chunks("m", "sim-1", 7, false);

    assertThat(chunks.content(" a") + chunks.last(" b", Ending.STOP, 2) + chunks.safety(2)
        + GeminiWire.response(" a b", Ending.STOP, 7, 2, false, "m", "sim-1")).doesNotContain("usageMetadata");
  }

  @Test
  void shouldRenderTheMidstreamErrorAsABarePrettyPrintedObject() {
    String error = GeminiWire.midstreamError();

    assertThat(error).startsWith("{\n  \"error\": {").doesNotContain("data:");
    assertThat(Json.MAPPER.readTree(error).at("/error/status").stringValue()).isEqualTo("INTERNAL");
  }

  @Test
  void shouldRenderTheNonStreamResponseInTheChunkShape() {
    JsonNode body = Json.MAPPER.readTree(GeminiWire.response(" a b", Ending.CONTENT_FILTER, 7, 2, true, "m", "r"));

    assertThat(body.at("/candidates/0/content/parts/0/text").stringValue()).isEqualTo(" a b");
    assertThat(body.at("/candidates/0/finishReason").stringValue()).isEqualTo("SAFETY");
    assertThat(body.at("/usageMetadata/totalTokenCount").longValue()).isEqualTo(9);
    assertThat(body.path("modelVersion").stringValue()).isEqualTo("m");
  }

  private static JsonNode data(String frame) {
    return Json.MAPPER.readTree(frame.substring("data: ".length()).strip());
  }
}
