package ai.gateway.worker.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;

/** How OPENAI_API_KEY and OPENAI_BASE_URL resolve through application.yml and the local profile. */
class OpenAiProfilesTest {

  @ParameterizedTest(name = "local={0} key={1} url={2} -> {3}")
  @CsvSource(nullValues = "null", value = {
      // the local run: the simulator unless a real key is set
      "true,  null,    null,                    http://localhost:8090/v1,  sk-local-simulator",
      "true,  sk-real, null,                    https://api.openai.com/v1, sk-real",
      "true,  null,    http://ollama:11434/v1,  http://ollama:11434/v1,    sk-local-simulator",
      "true,  sk-real, http://proxy:8080/v1,    http://proxy:8080/v1,      sk-real",
      // everywhere else: the real API, and no key means OpenAI is not configured
      "false, sk-real, null,                    https://api.openai.com/v1, sk-real",
      "false, null,    null,                    https://api.openai.com/v1, null",
      "false, sk-real, http://vllm:8000/v1,     http://vllm:8000/v1,       sk-real",
  })
  void shouldResolveTheEndpointAndKey(boolean local, @Nullable String key, @Nullable String url, String expectedUrl,
      @Nullable String expectedKey) throws IOException {
    // given
    StandardEnvironment environment = new StandardEnvironment();
    // only what the case sets: the machine's real OPENAI_* variables must not leak into the test
    environment.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
    environment.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    Map<String, Object> variables = new java.util.HashMap<>();
    if (key != null) {
      variables.put("OPENAI_API_KEY", key);
    }
    if (url != null) {
      variables.put("OPENAI_BASE_URL", url);
    }
    environment.getPropertySources().addFirst(new MapPropertySource("env", variables));
    YamlPropertySourceLoader yaml = new YamlPropertySourceLoader();
    if (local) {
      yaml.load("local", new ClassPathResource("application-local.yml")).forEach(environment.getPropertySources()::addLast);
    }
    yaml.load("defaults", new ClassPathResource("application.yml")).forEach(environment.getPropertySources()::addLast);

    // when
    OpenAiProperties properties = Binder.get(environment).bind("worker.providers.openai", OpenAiProperties.class).get();

    // then
    assertThat(properties.resolvedBaseUrl()).hasToString(expectedUrl);
    if (expectedKey == null) {
      assertThat(properties.configured()).isFalse();
    } else {
      assertThat(properties.resolvedApiKey().reveal()).isEqualTo(expectedKey);
    }
  }
}
