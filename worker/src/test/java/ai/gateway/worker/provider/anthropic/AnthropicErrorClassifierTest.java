package ai.gateway.worker.provider.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.HttpHeaders;

class AnthropicErrorClassifierTest {

  @ParameterizedTest(name = "{0} {1} \"{2}\" -> {3}")
  @CsvSource(nullValues = "null", delimiter = '|', value = {
      "401 | authentication_error  | invalid x-api-key                                   | CREDENTIAL",
      "403 | permission_error      | null                                                | CREDENTIAL",
      "402 | billing_error         | Billing error                                       | QUOTA",
      "400 | invalid_request_error | Your credit balance is too low to access the API.   | QUOTA",
      "429 | rate_limit_error      | This request would exceed your rate limit           | RATE_LIMIT",
      "529 | overloaded_error      | Overloaded                                          | OVERLOADED",
      "0   | overloaded_error      | Overloaded                                          | OVERLOADED",
      "504 | timeout_error         | Request timeout                                     | TIMEOUT",
      "500 | api_error             | Internal server error                               | TRANSIENT",
      "502 | null                  | null                                                | TRANSIENT",
      "0   | api_error             | null                                                | TRANSIENT",
      "0   | some_new_error        | null                                                | TRANSIENT",
      "400 | invalid_request_error | prompt is too long: 216327 tokens > 200000 maximum  | CONTEXT_LENGTH",
      "400 | invalid_request_error | input length and `max_tokens` exceed context limit: 1 + 2 > 3 | CONTEXT_LENGTH",
      "400 | invalid_request_error | max_tokens: 128001 > 64000, which is the maximum allowed number of output tokens | CALLER_FAULT",
      "413 | request_too_large     | Request exceeds the maximum size                    | CALLER_FAULT",
      "413 | null                  | null                                                | CALLER_FAULT",
      "404 | not_found_error       | model: claude-nope                                  | CALLER_FAULT",
      "409 | null                  | null                                                | TRANSIENT",
  })
  void shouldClassifyByStatusAndErrorType(int status, @Nullable String type, @Nullable String message,
      FailureClass expected) {
    assertThat(AnthropicErrorClassifier.classify(status, type, message)).isEqualTo(expected);
  }

  @Test
  void shouldReadTheRetryDelayAndKeepTheProvidersMessageOut() {
    // given
    HttpHeaders headers = new HttpHeaders();
    headers.add("retry-after", "17");
    String body = """
        {"type":"error","error":{"type":"rate_limit_error","message":"org: 5576611f, see https://docs.claude.com"},
         "request_id":"req_1"}""";

    // when
    ProviderException failure = AnthropicErrorClassifier.fromResponse(429, headers,
        body.getBytes(StandardCharsets.UTF_8), Clock.systemUTC());

    // then
    assertThat(failure.failureClass()).isEqualTo(FailureClass.RATE_LIMIT);
    assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(17));
    assertThat(failure.getMessage()).contains("429", "rate_limit_error").doesNotContain("5576611f", "https://");
  }

  @Test
  void shouldClassifyAnUnreadableBodyByStatusAlone() {
    assertThat(AnthropicErrorClassifier.fromResponse(529, new HttpHeaders(),
        "<html>busy</html>".getBytes(StandardCharsets.UTF_8), Clock.systemUTC()).failureClass())
        .isEqualTo(FailureClass.OVERLOADED);
  }
}
