package ai.gateway.api.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ApiKeysTest {

  @Test
  void shouldMakeRandomWellFormedKeysWithA256BitBody() {
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String key = ApiKeys.generate();
      assertThat(key).startsWith("aig_").hasSize(4 + 43);
      assertThat(ApiKeys.isWellFormed(key)).isTrue();
      assertThat(ApiKeys.looksLikeKey(key)).isTrue();
      keys.add(key);
    }
    assertThat(keys).hasSize(1000);
  }

  @Test
  void shouldHashDeterministicallyAndShowOnlyAShortPrefix() {
    String key = ApiKeys.generate();

    assertThat(ApiKeys.hash(key)).hasSize(32).isEqualTo(ApiKeys.hash(key));
    assertThat(ApiKeys.hash(key)).isNotEqualTo(ApiKeys.hash(ApiKeys.generate()));
    assertThat(ApiKeys.shownPrefix(key)).hasSize(8).isEqualTo(key.substring(0, 8));
  }

  @Test
  void shouldRefuseTokensThatAreNotKeysBeforeAnyLookup() {
    assertThat(ApiKeys.isWellFormed("aig_short")).isFalse();
    assertThat(ApiKeys.isWellFormed("aig_' OR '1'='1")).isFalse();
    assertThat(ApiKeys.isWellFormed("aig_" + "a".repeat(42) + "=")).isFalse();
    assertThat(ApiKeys.looksLikeKey("eyJhbGciOiJIUzI1NiJ9.e30.x")).isFalse();
  }
}
