package ai.gateway.worker.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.gateway.worker.provider.Secret;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class OpenAiPropertiesTest {

  private static final OpenAiProperties.LocalFallback SIMULATOR =
      new OpenAiProperties.LocalFallback("http://localhost:8090/v1", new Secret("sk-local-simulator"));
  private static final OpenAiProperties.LocalFallback NONE = new OpenAiProperties.LocalFallback(null, null);

  @Test
  void shouldUseTheRealApiWithARealKeyAndNoBaseUrlEvenInTheLocalProfile() {
    OpenAiProperties properties = properties("sk-real", "", SIMULATOR);

    assertThat(properties.resolvedBaseUrl()).hasToString("https://api.openai.com/v1");
    assertThat(properties.resolvedApiKey().reveal()).isEqualTo("sk-real");
  }

  @Test
  void shouldUseTheSimulatorWithoutAKeyInTheLocalProfile() {
    OpenAiProperties properties = properties("", null, SIMULATOR);

    assertThat(properties.configured()).isTrue();
    assertThat(properties.resolvedBaseUrl()).hasToString("http://localhost:8090/v1");
    assertThat(properties.resolvedApiKey().reveal()).isEqualTo("sk-local-simulator");
  }

  @Test
  void shouldLetAnExplicitBaseUrlWinAndDropATrailingSlash() {
    assertThat(properties("", "http://ollama:11434/v1/", SIMULATOR).resolvedBaseUrl())
        .hasToString("http://ollama:11434/v1");
    assertThat(properties("sk-real", "https://gateway.example/v1", NONE).resolvedBaseUrl())
        .hasToString("https://gateway.example/v1");
  }

  @Test
  void shouldNotBeConfiguredWithoutAnyKey() {
    assertThat(properties("", "https://api.openai.com/v1", NONE).configured()).isFalse();
    assertThat(properties(null, null, NONE).configured()).isFalse();
  }

  @Test
  void shouldRejectCredentialsInTheBaseUrl() {
    assertThatThrownBy(() -> properties("sk", "https://user:pw@api.example/v1", NONE).resolvedBaseUrl())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("pw");
  }

  @Test
  void shouldNeverPrintTheKey() {
    assertThat(properties("sk-real-key", null, NONE).toString()).doesNotContain("sk-real-key");
  }

  private static OpenAiProperties properties(@Nullable String key, @Nullable String baseUrl,
      OpenAiProperties.LocalFallback fallback) {
    return new OpenAiProperties(key == null ? null : new Secret(key), baseUrl, "gpt-4o-mini", Duration.ofSeconds(30),
        Duration.ofSeconds(5), 4096, 8192, Duration.ofSeconds(10), Duration.ofSeconds(50), Duration.ofMinutes(5),
        65536, fallback);
  }
}
