package ai.gateway.worker.provider;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.worker.provider.anthropic.AnthropicAdapter;
import ai.gateway.worker.provider.gemini.GeminiAdapter;
import ai.gateway.worker.provider.openai.OpenAiAdapter;
import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;

/** How {@code <PROVIDER>_API_KEY} and {@code <PROVIDER>_BASE_URL} resolve through application.yml and the local profile. */
class ProviderProfilesTest {

  @ParameterizedTest(name = "{0} local={1} key={2} url={3} -> {4}")
  @CsvSource(nullValues = "null", value = {
      // the local run: the simulator unless a real key is set
      "openai,    true,  null,    null,                    http://localhost:8090/v1,        sk-local-simulator",
      "openai,    true,  sk-real, null,                    https://api.openai.com/v1,       sk-real",
      "openai,    true,  null,    http://ollama:11434/v1,  http://ollama:11434/v1,          sk-local-simulator",
      "anthropic, true,  null,    null,                    http://localhost:8090,           sk-local-simulator",
      "anthropic, true,  sk-ant,  null,                    https://api.anthropic.com,       sk-ant",
      "anthropic, true,  sk-ant,  http://proxy:8080,       http://proxy:8080,               sk-ant",
      "gemini,    true,  null,    null,                    http://localhost:8090/v1beta,    sk-local-simulator",
      "gemini,    true,  AIza-1,  null,                    https://generativelanguage.googleapis.com/v1beta, AIza-1",
      // everywhere else: the real API, and no key means the provider is not configured
      "openai,    false, sk-real, null,                    https://api.openai.com/v1,       sk-real",
      "openai,    false, null,    null,                    https://api.openai.com/v1,       null",
      "openai,    false, sk-real, http://vllm:8000/v1,     http://vllm:8000/v1,             sk-real",
      "anthropic, false, sk-ant,  null,                    https://api.anthropic.com,       sk-ant",
      "anthropic, false, null,    null,                    https://api.anthropic.com,       null",
      "gemini,    false, AIza-1,  null,                    https://generativelanguage.googleapis.com/v1beta, AIza-1",
      "gemini,    false, null,    null,                    https://generativelanguage.googleapis.com/v1beta, null",
  })
  void shouldResolveTheEndpointAndKey(String provider, boolean local, @Nullable String key, @Nullable String url,
      String expectedUrl, @Nullable String expectedKey) throws IOException {
    // given
    String variable = provider.toUpperCase(Locale.ROOT);
    StandardEnvironment environment = new StandardEnvironment();
    // only what the case sets: the machine's real variables must not leak into the test
    environment.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
    environment.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    Map<String, Object> variables = new HashMap<>();
    if (key != null) {
      variables.put(variable + "_API_KEY", key);
    }
    if (url != null) {
      variables.put(variable + "_BASE_URL", url);
    }
    environment.getPropertySources().addFirst(new MapPropertySource("env", variables));
    YamlPropertySourceLoader yaml = new YamlPropertySourceLoader();
    if (local) {
      yaml.load("local", new ClassPathResource("application-local.yml")).forEach(environment.getPropertySources()::addLast);
    }
    yaml.load("defaults", new ClassPathResource("application.yml")).forEach(environment.getPropertySources()::addLast);

    // when
    boolean configured = ProviderProperties.keyConfigured(environment, provider);
    ProviderProperties properties = ProviderProperties.bind(environment, provider);

    // then
    String realApi = switch (provider) {
      case "openai" -> OpenAiAdapter.REAL_API;
      case "anthropic" -> AnthropicAdapter.REAL_API;
      default -> GeminiAdapter.REAL_API;
    };
    assertThat(properties.resolvedBaseUrl(realApi)).hasToString(expectedUrl);
    assertThat(configured).isEqualTo(expectedKey != null);
    if (expectedKey == null) {
      assertThat(properties.configured()).isFalse();
    } else {
      assertThat(properties.resolvedApiKey().reveal()).isEqualTo(expectedKey);
    }
  }
}
