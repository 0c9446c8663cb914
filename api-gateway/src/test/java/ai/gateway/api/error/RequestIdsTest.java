package ai.gateway.api.error;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestIdsTest {

  @ParameterizedTest
  @ValueSource(strings = {"a", "req-1_A", "0123456789abcdef"})
  void shouldAcceptPlainIds(String id) {
    assertThat(RequestIds.isValid(id)).isTrue();
    assertThat(RequestIds.isValid("x".repeat(255))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a b", "a\r\nSet-Cookie: x", "a.b", "ä", "a/b", "${jndi:ldap://x}"})
  void shouldRejectAnythingElse(String id) {
    assertThat(RequestIds.isValid(id)).isFalse();
    assertThat(RequestIds.isValid("x".repeat(256))).isFalse();
  }
}
