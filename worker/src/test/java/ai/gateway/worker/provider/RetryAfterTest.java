package ai.gateway.worker.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.HttpHeaders;

class RetryAfterTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC);

  @ParameterizedTest(name = "{0}: {1} -> {2} ms")
  @CsvSource({
      "retry-after,    1,                              1000",
      "retry-after,    17,                             17000",
      "retry-after,    2.5,                            2500",
      "retry-after-ms, 644,                            644",
      "retry-after,    'Sat, 28 Nov 2026 12:00:17 GMT', 17000",
  })
  void shouldReadRetryAfterHeaders(String header, String value, long expectedMillis) {
    // given
    HttpHeaders headers = new HttpHeaders();
    headers.add(header, value);

    // when / then
    assertThat(RetryAfter.fromHeaders(headers, CLOCK)).isEqualTo(Duration.ofMillis(expectedMillis));
  }

  @Test
  void shouldPreferRetryAfterMsAndIgnoreGarbage() {
    HttpHeaders both = new HttpHeaders();
    both.add("retry-after", "3");
    both.add("retry-after-ms", "250");
    HttpHeaders garbage = new HttpHeaders();
    garbage.add("retry-after", "soon");

    assertThat(RetryAfter.fromHeaders(both, CLOCK)).isEqualTo(Duration.ofMillis(250));
    assertThat(RetryAfter.fromHeaders(garbage, CLOCK)).isNull();
    assertThat(RetryAfter.fromHeaders(new HttpHeaders(), CLOCK)).isNull();
  }
}
