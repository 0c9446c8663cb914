package ai.gateway.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CallbackUrlsTest {

  private static final Set<String> NONE = Set.of();

  @ParameterizedTest
  @ValueSource(strings = {"https://hooks.example.com/ai", "https://hooks.example.com:443/a?b=c", "HTTPS://example.com/"})
  void shouldAcceptHttpsUrlsOnPort443(String url) {
    assertThat(CallbackUrls.problem(url, NONE)).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "http://hooks.example.com/ai", "/relative", "hooks.example.com", "ftp://example.com/",
      "file:///etc/passwd", "gopher://example.com/", "https://", "https://a@example.com/", "http://127.0.0.1#@good.com",
      "https://example.com/#frag", "https://exa mple.com/", "mailto:a@example.com", "http://a@127.0.0.1/",
      "https://hooks.example.com:8443/", "https://hooks.example.com:6379/", "https://hooks.example.com:25/",
      "https://127.0.0.1/", "https://localhost/", "https://[::1]/", "https://0.0.0.0/", "https://[::]/",
      "https://127.0.0.1.nip.io/", "https://169.254.169.254/latest/meta-data/", "https://[fd00:ec2::254]/",
      "https://metadata.google.internal/", "https://100.100.100.200/", "https://2130706433/", "https://0x7f000001/",
      "https://0177.0.0.1/", "https://127.1/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/",
      "https://[64:ff9b::a9fe:a9fe]/", "https://0x7f.1/"})
  void shouldRefuseEverythingElse(String url) {
    assertThat(CallbackUrls.problem(url, NONE)).as(url).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:8099/hook", "https://receiver.corp:8443/x", "http://RECEIVER.corp/"})
  void shouldLetAllowlistedHostsUseHttpAnyPortAndPrivateAddresses(String url) {
    assertThat(CallbackUrls.problem(url, Set.of("127.0.0.1", "receiver.corp"))).as(url).isNull();
  }
}
