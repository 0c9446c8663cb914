package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.simulator.OpenAiWire.Chunks;
import ai.gateway.simulator.Scenario.Failure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

class OpenAiWireTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "gpt-4o-mini, gpt-4o-mini-2024-07-18", "gpt-4o, gpt-4o-2024-08-06",
      "gpt-4.1-nano, gpt-4.1-nano-2025-04-14", "gpt-4o-2024-05-13, gpt-4o-2024-05-13",
      "gpt-3.5-turbo-0125, gpt-3.5-turbo-0125", "sim-tokens-7, sim-tokens-7", "gpt-5, gpt-5-2024-07-18"})
  void shouldReportTheModelAsADatedSnapshot(String requested, String reported) {
    assertThat(OpenAiWire.reportedModel(requested)).isEqualTo(reported);
  }

  @ParameterizedTest
  @EnumSource(Failure.class)
  void shouldRenderEveryFailureInOpenAisErrorEnvelope(Failure failure) {
    WireResponse error = OpenAiWire.error(failure, "gpt-4o-mini", "sim-1");

    JsonNode body = Json.MAPPER.readTree(error.body()).path("error");
    assertThat(body.propertyNames()).containsExactly("message", "type", "param", "code");
    assertThat(body.path("message").stringValue()).isNotBlank();
    assertThat(error.status()).isBetween(400, 599);
  }

  @Test
  void shouldTellRateLimitsFromQuotaByCodeNotStatus() {
    WireResponse rateLimit = OpenAiWire.error(Failure.RATE_LIMITED, "m", "sim-1");
    WireResponse quota = OpenAiWire.error(Failure.INSUFFICIENT_QUOTA, "m", "sim-1");

    assertThat(rateLimit.status()).isEqualTo(quota.status()).isEqualTo(429);
    assertThat(rateLimit.headers()).containsEntry("retry-after", "1");
    assertThat(quota.headers()).doesNotContainKey("retry-after");
    assertThat(Json.MAPPER.readTree(rateLimit.body()).at("/error/code").stringValue()).isEqualTo("rate_limit_exceeded");
    assertThat(Json.MAPPER.readTree(quota.body()).at("/error/code").stringValue()).isEqualTo("insufficient_quota");
  }

  @Test
  void shouldFrameChunksAsSseEventsWithValidJson() {
    Chunks chunks = new Chunks("chatcmpl-1", 1694268190, "gpt-4o-mini-2024-07-18", true);

    String content = chunks.content(" \"quoted\"\n");

    assertThat(content).startsWith("data: {").endsWith("}\n\n");
    JsonNode json = Json.MAPPER.readTree(content.substring("data: ".length()));
    assertThat(json.at("/choices/0/delta/content").stringValue()).isEqualTo(" \"quoted\"\n");
    assertThat(json.path("object").stringValue()).isEqualTo("chat.completion.chunk");
    assertThat(json.has("usage")).as("include_usage puts usage:null on every chunk").isTrue();
    assertThat(json.path("usage").isNull()).isTrue();
  }

  @Test
  void shouldSendUsageInAChunkWithNoChoices() {
    Chunks chunks = new Chunks("chatcmpl-1", 1694268190, "m", true);

    JsonNode usage = Json.MAPPER.readTree(chunks.usage(3, 5).substring("data: ".length()));

    assertThat(usage.path("choices").isArray()).isTrue();
    assertThat(usage.path("choices").isEmpty()).isTrue();
    assertThat(usage.at("/usage/prompt_tokens").longValue()).isEqualTo(3);
    assertThat(usage.at("/usage/completion_tokens").longValue()).isEqualTo(5);
    assertThat(usage.at("/usage/total_tokens").longValue()).isEqualTo(8);
  }

  @Test
  void shouldLeaveUsageNullOutOfChunksWhenNotAskedFor() {
    Chunks chunks = new Chunks("chatcmpl-1", 1694268190, "m", false);

    JsonNode finish = Json.MAPPER.readTree(chunks.finish("stop").substring("data: ".length()));

    assertThat(finish.has("usage")).isFalse();
    assertThat(finish.at("/choices/0/finish_reason").stringValue()).isEqualTo("stop");
    assertThat(finish.at("/choices/0/delta").isEmpty()).isTrue();
  }
}
