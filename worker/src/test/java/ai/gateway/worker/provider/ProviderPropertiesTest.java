package ai.gateway.worker.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

class ProviderPropertiesTest {

  private static final String REAL = "https://api.anthropic.com";
  private static final ProviderProperties.LocalFallback SIMULATOR =
      new ProviderProperties.LocalFallback("http://localhost:8090", new Secret("sk-local-simulator"));
  private static final ProviderProperties.LocalFallback NONE = new ProviderProperties.LocalFallback(null, null);

  @Test
  void shouldUseTheRealApiWithARealKeyAndNoBaseUrlEvenInTheLocalProfile() {
    ProviderProperties properties = properties("sk-real", "", SIMULATOR);

    assertThat(properties.resolvedBaseUrl(REAL)).hasToString(REAL);
    assertThat(properties.resolvedApiKey().reveal()).isEqualTo("sk-real");
  }

  @Test
  void shouldUseTheSimulatorWithoutAKeyInTheLocalProfile() {
    ProviderProperties properties = properties("", null, SIMULATOR);

    assertThat(properties.configured()).isTrue();
    assertThat(properties.resolvedBaseUrl(REAL)).hasToString("http://localhost:8090");
    assertThat(properties.resolvedApiKey().reveal()).isEqualTo("sk-local-simulator");
  }

  @Test
  void shouldLetAnExplicitBaseUrlWinAndDropATrailingSlash() {
    assertThat(properties("", "http://ollama:11434/v1/", SIMULATOR).resolvedBaseUrl(REAL))
        .hasToString("http://ollama:11434/v1");
    assertThat(properties("sk-real", "https://gateway.example/v1", NONE).resolvedBaseUrl(REAL))
        .hasToString("https://gateway.example/v1");
  }

  @Test
  void shouldNotBeConfiguredWithoutAnyKey() {
    assertThat(properties("", REAL, NONE).configured()).isFalse();
    assertThat(properties(null, null, NONE).configured()).isFalse();
  }

  @Test
  void shouldRejectCredentialsOrAQueryInTheBaseUrl() {
    assertThatThrownBy(() -> properties("sk", "https://user:pw@api.example/v1", NONE).resolvedBaseUrl(REAL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("pw");
    assertThatThrownBy(() -> properties("sk", "https://api.example/v1beta?key=AIza-secret", NONE).resolvedBaseUrl(REAL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("AIza");
  }

  @Test
  void shouldNeverPrintTheKey() {
    assertThat(properties("sk-real-key", null, NONE).toString()).doesNotContain("sk-real-key");
  }

  @Test
  void shouldServeEveryModelWithAnEmptyAllowlistAndOnlyListedOnesOtherwise() {
    ProviderProperties any = ProviderProperties.of(new Secret("k"), null, "m");
    ProviderProperties listed = any.withAllowedModels(List.of(" claude-sonnet-4-6 ", "claude-haiku-4-5", " "));

    assertThat(any.allows("anything")).isTrue();
    assertThat(listed.allowedModels()).containsExactly("claude-sonnet-4-6", "claude-haiku-4-5");
    assertThat(listed.allows("claude-haiku-4-5")).isTrue();
    assertThat(listed.allows("claude-opus-4-6")).isFalse();
  }

  @Test
  void shouldBindTheProvidersPrefixWithDefaultsAndRejectUnknownKeys() {
    // given
    StandardEnvironment environment = environment(Map.of(
        "worker.providers.anthropic.api-key", "sk-ant",
        "worker.providers.anthropic.default-model", "claude-sonnet-4-6",
        "worker.providers.anthropic.allowed-models", "claude-sonnet-4-6,claude-haiku-4-5"));
    StandardEnvironment misspelt = environment(Map.of(
        "worker.providers.gemini.api-kye", "AIza",
        "worker.providers.gemini.default-model", "gemini-3.5-flash"));

    // when
    ProviderProperties bound = ProviderProperties.bind(environment, "anthropic");

    // then
    assertThat(bound.defaultMaxTokens()).isEqualTo(1024);
    assertThat(bound.defaultTemperature()).isEqualTo(0.7);
    assertThat(bound.allowedModels()).containsExactly("claude-sonnet-4-6", "claude-haiku-4-5");
    assertThat(bound.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(ProviderProperties.keyConfigured(environment, "anthropic")).isTrue();
    assertThat(ProviderProperties.keyConfigured(environment, "gemini")).isFalse();
    assertThat(ProviderProperties.keyConfigured(misspelt, "gemini")).isFalse();
    assertThatThrownBy(() -> ProviderProperties.bind(misspelt, "gemini")).isInstanceOf(BindException.class);
  }

  private static StandardEnvironment environment(Map<String, Object> values) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
    environment.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    environment.getPropertySources().addFirst(new MapPropertySource("test", values));
    return environment;
  }

  private static ProviderProperties properties(@Nullable String key, @Nullable String baseUrl,
      ProviderProperties.LocalFallback fallback) {
    return new ProviderProperties(key == null ? null : new Secret(key), baseUrl, "claude-sonnet-4-6", 1024, 0.7,
        List.of(), Duration.ofSeconds(30), Duration.ofSeconds(5), 4096, 8192, Duration.ofSeconds(10),
        Duration.ofSeconds(50), Duration.ofMinutes(5), 65536, fallback);
  }
}
