package ai.gateway.worker.provider.gemini;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GeminiErrorClassifierTest {

  @ParameterizedTest(name = "{0} {1} reason={2} retryDelay={3} \"{4}\" -> {5}")
  @CsvSource(nullValues = "null", delimiter = '|', value = {
      "400 | INVALID_ARGUMENT    | API_KEY_INVALID | null | API key not valid. Please pass a valid API key.   | CREDENTIAL",
      "403 | PERMISSION_DENIED   | null            | null | Method doesn't allow unregistered callers        | CREDENTIAL",
      "401 | UNAUTHENTICATED     | null            | null | null                                             | CREDENTIAL",
      "402 | RESOURCE_EXHAUSTED  | null            | null | Your prepayment credits are depleted.            | QUOTA",
      "429 | RESOURCE_EXHAUSTED  | null            | 26s  | You exceeded your current quota, please check    | RATE_LIMIT",
      "429 | RESOURCE_EXHAUSTED  | null            | null | Resource has been exhausted (e.g. check quota).  | RATE_LIMIT",
      "429 | RESOURCE_EXHAUSTED  | null            | null | Your prepayment credits are depleted.            | QUOTA",
      "429 | RESOURCE_EXHAUSTED  | null            | 10s  | Your prepayment credits are depleted.            | RATE_LIMIT",
      "400 | INVALID_ARGUMENT    | null            | null | The input token count (3475108) exceeds the maximum number of tokens allowed (1048576). | CONTEXT_LENGTH",
      "400 | INVALID_ARGUMENT    | null            | null | maxOutputTokens value of 70000 is out of range   | CALLER_FAULT",
      "400 | FAILED_PRECONDITION | null            | null | User location is not supported for the API use.  | CALLER_FAULT",
      "404 | NOT_FOUND           | null            | null | models/x is not found for API version v1beta     | CALLER_FAULT",
      "500 | INTERNAL            | null            | null | An internal error has occurred.                  | TRANSIENT",
      "0   | INTERNAL            | null            | null | An internal error has occurred.                  | TRANSIENT",
      "503 | UNAVAILABLE         | null            | null | The model is overloaded.                         | OVERLOADED",
      "504 | DEADLINE_EXCEEDED   | null            | null | null                                             | TIMEOUT",
      "502 | null                | null            | null | null                                             | TRANSIENT",
  })
  void shouldClassifyByStatusRpcStatusAndDetails(int status, @Nullable String rpcStatus, @Nullable String reason,
      @Nullable String retryDelay, @Nullable String message, FailureClass expected) {
    // given
    String details = reason != null
        ? ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"reason\":\"" + reason + "\"}]"
        : retryDelay != null
            ? ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"" + retryDelay + "\"}]"
            : "";
    String body = "{\"error\":{\"code\":" + status + (message == null ? "" : ",\"message\":\"" + message + "\"")
        + (rpcStatus == null ? "" : ",\"status\":\"" + rpcStatus + "\"") + details + "}}";

    // when
    FailureClass failure = GeminiErrorClassifier.classify(status,
        GeminiErrorClassifier.parse(body.getBytes(StandardCharsets.UTF_8)));

    // then
    assertThat(failure).isEqualTo(expected);
  }

  @Test
  void shouldTakeTheRateLimitDelayFromRetryInfo() {
    // given
    String body = """
        {
          "error": {
            "code": 429,
            "message": "You exceeded your current quota. See https://ai.google.dev/gemini-api/docs/rate-limits.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
              {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
              {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}
            ]
          }
        }
        """;

    // when
    ProviderException failure = GeminiErrorClassifier.fromResponse(429, body.getBytes(StandardCharsets.UTF_8));

    // then
    assertThat(failure.failureClass()).isEqualTo(FailureClass.RATE_LIMIT);
    assertThat(failure.retryAfter()).isEqualTo(Duration.ofMillis(1500));
    assertThat(failure.getMessage()).contains("429", "RESOURCE_EXHAUSTED").doesNotContain("https://", "quota");
  }

  @Test
  void shouldUnwrapTheOneElementArrayOfTheNonSseStreamingMode() {
    byte[] body = "[{\"error\":{\"code\":503,\"status\":\"UNAVAILABLE\"}}]".getBytes(StandardCharsets.UTF_8);

    assertThat(GeminiErrorClassifier.fromResponse(503, body).failureClass()).isEqualTo(FailureClass.OVERLOADED);
  }
}
