package ai.gateway.worker.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.HttpHeaders;
import org.junit.jupiter.api.Test;

class OpenAiErrorClassifierTest {

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC);

  @ParameterizedTest(name = "{0} type={1} code={2} -> {3}")
  @CsvSource(nullValues = "null", value = {
      "400, invalid_request_error, context_length_exceeded, CONTEXT_LENGTH",
      "400, invalid_request_error, null,                    CALLER_FAULT",
      "404, invalid_request_error, model_not_found,         CALLER_FAULT",
      "422, null,                  null,                    CALLER_FAULT",
      "413, null,                  null,                    CALLER_FAULT",
      "401, invalid_request_error, invalid_api_key,         CREDENTIAL",
      "403, null,                  unsupported_country_region_territory, CREDENTIAL",
      "429, insufficient_quota,    insufficient_quota,      QUOTA",
      "429, insufficient_quota,    null,                    QUOTA",
      "429, tokens,                rate_limit_exceeded,     RATE_LIMIT",
      "429, requests,              null,                    RATE_LIMIT",
      "408, null,                  null,                    TIMEOUT",
      "500, server_error,          null,                    TRANSIENT",
      "502, null,                  null,                    TRANSIENT",
      "503, service_unavailable_error, server_is_overloaded, OVERLOADED",
      "503, null,                  null,                    OVERLOADED",
      "0,   server_error,          null,                    TRANSIENT",
      "0,   tokens,                rate_limit_exceeded,     RATE_LIMIT",
  })
  void shouldClassifyByStatusTypeAndCode(int status, @Nullable String type, @Nullable String code, FailureClass expected) {
    assertThat(OpenAiErrorClassifier.classify(status, type, code)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} -> {1} retryable={2}")
  @CsvSource({
      "CREDENTIAL,       PROVIDER_ERROR,          false",
      "QUOTA,            INSUFFICIENT_QUOTA,      false",
      "RATE_LIMIT,       RATE_LIMITED,            true",
      "CALLER_FAULT,     INVALID_REQUEST,         false",
      "CONTEXT_LENGTH,   CONTEXT_LENGTH_EXCEEDED, false",
      "CONTENT_FILTERED, CONTENT_FILTERED,        false",
      "TRANSIENT,        PROVIDER_ERROR,          true",
      "OVERLOADED,       PROVIDER_ERROR,          true",
      "TIMEOUT,          TIMEOUT,                 true",
      "MALFORMED,        PROVIDER_ERROR,          true",
  })
  void shouldMapEachFailureClassOnceToTheDesignsCode(FailureClass failure, ErrorCode code, boolean retryable) {
    assertThat(failure.code()).isEqualTo(code);
    assertThat(failure.retryable()).isEqualTo(retryable);
  }

  @Test
  void shouldNeverPutTheProvidersMessageInTheSafeMessage() {
    // given: OpenAI's 401 echoes part of the key and links a URL
    String body = """
        {"error":{"message":"Incorrect API key provided: sk-abc***xyz. See https://platform.openai.com/account/api-keys.",
          "type":"invalid_request_error","param":null,"code":"invalid_api_key"}}
        """;

    // when
    ProviderException failure = OpenAiErrorClassifier.fromResponse(401, new HttpHeaders(),
        body.getBytes(StandardCharsets.UTF_8), CLOCK);

    // then
    assertThat(failure.failureClass()).isEqualTo(FailureClass.CREDENTIAL);
    assertThat(failure.getMessage()).contains("401", "invalid_api_key").doesNotContain("sk-", "https://");
  }

  @Test
  void shouldClassifyAnUnreadableBodyByStatusAlone() {
    ProviderException failure = OpenAiErrorClassifier.fromResponse(502, new HttpHeaders(),
        "<html>Bad gateway</html>".getBytes(StandardCharsets.UTF_8), CLOCK);

    assertThat(failure.failureClass()).isEqualTo(FailureClass.TRANSIENT);
  }
}
