package ai.gateway.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CallbackUrlsTest {

  @ParameterizedTest
  @ValueSource(strings = {"https://hooks.example.com/ai", "https://hooks.example.com:8443/a?b=c", "HTTPS://example.com/"})
  void shouldAcceptAbsoluteHttpsUrls(String url) {
    assertThat(CallbackUrls.problem(url)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "http://hooks.example.com/ai", "/relative", "hooks.example.com", "ftp://example.com/",
      "file:///etc/passwd", "gopher://example.com/", "https://", "https://a@example.com/", "http://127.0.0.1#@good.com",
      "https://example.com/#frag", "https://exa mple.com/", "mailto:a@example.com"})
  void shouldRefuseEverythingElse(String url) {
    assertThat(CallbackUrls.problem(url)).isNotNull();
  }
}
