package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code GET /v1/providers} answers from what the live workers publish on {@code ai.providers}. */
class ProvidersEndToEndIT {

  private static LocalStack stack;

  private static String key;

  @BeforeAll
  static void startStack() {
    stack = LocalStack.builder().services(Service.GATEWAY, Service.WORKER).start();
    // Any authenticated user may ask which providers exist; no ai_access needed.
    key = stack.apiKey("providers-free-user", "free");
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldFollowTheKeysOfTheLiveWorkers() {
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      JsonNode answer = providers();
      assertThat(answer.get("configured").asBoolean()).isTrue();
      assertThat(answer.at("/providers/0/name").asString()).isEqualTo("openai");
      assertThat(answer.at("/providers/0/defaultModel").asString()).isEqualTo("gpt-4o-mini");
      assertThat(answer.get("providers")).extracting(provider -> provider.get("name").asString())
          .containsExactly("openai", "anthropic", "gemini");
    });

    stack.restart(Service.WORKER, Map.of("OPENAI_API_KEY", "", "OPENAI_BASE_URL", "",
        "ANTHROPIC_API_KEY", "", "ANTHROPIC_BASE_URL", "", "GEMINI_API_KEY", "", "GEMINI_BASE_URL", ""));

    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      JsonNode answer = providers();
      assertThat(answer.get("configured").asBoolean()).isFalse();
      assertThat(answer.get("providers")).isEmpty();
    });

    stack.restart(Service.WORKER, Map.of());
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(providers().get("configured").asBoolean()).isTrue());

    stack.service(Service.WORKER).close(); // a graceful stop leaves a tombstone: no live worker, nothing to serve
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(providers().get("configured").asBoolean()).isFalse());
  }

  private static JsonNode providers() {
    HttpResponse<String> response = Http.get(stack.gatewayUrl() + "/v1/providers", key);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Http.json(response.body());
  }
}
