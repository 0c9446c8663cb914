package ai.gateway.api.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorCodeTest {

  @ParameterizedTest
  @CsvSource({
      "INVALID_REQUEST, 400, false, false",
      "UNAUTHENTICATED, 401, false, false",
      "ENTITLEMENT_REQUIRED, 403, false, false",
      "NOT_FOUND, 404, false, false",
      "IDEMPOTENCY_CONFLICT, 409, true, false",
      "RATE_LIMITED, 429, true, false",
      "CONTEXT_LENGTH_EXCEEDED, 400, false, false",
      "CONTENT_FILTERED, 422, false, false",
      "PROVIDER_NOT_CONFIGURED, 503, false, true",
      "INSUFFICIENT_QUOTA, 503, false, true",
      "TIMEOUT, 504, true, true",
      "PROVIDER_ERROR, 502, true, true",
      "UNAVAILABLE, 503, true, true",
      "CANCELLED, 409, false, false",
  })
  void shouldHoldTheDesignTable(ErrorCode code, int status, boolean retryable, boolean sentry) {
    assertThat(code.status()).isEqualTo(status);
    assertThat(code.retryable()).isEqualTo(retryable);
    assertThat(code.reportToSentry(false)).isEqualTo(sentry);
    assertThat(code.type()).isEqualTo("urn:ai-gateway:error:" + code.name());
  }

  @Test
  void shouldReportContextLengthOnlyWhenAProviderCausedIt() {
    assertThat(ErrorCode.CONTEXT_LENGTH_EXCEEDED.reportToSentry(false)).isFalse();
    assertThat(ErrorCode.CONTEXT_LENGTH_EXCEEDED.reportToSentry(true)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(ai.gateway.schemas.v1.ErrorCode.class)
  void shouldMapEveryAvroCode(ai.gateway.schemas.v1.ErrorCode avro) {
    ErrorCode mapped = ErrorCode.from(avro);

    assertThat(mapped.name()).isEqualTo(avro == ai.gateway.schemas.v1.ErrorCode.UNKNOWN ? "UNAVAILABLE" : avro.name());
  }

  @Test
  void shouldHaveAnAvroCodeForEveryCode() {
    assertThat(Arrays.stream(ErrorCode.values()).map(Enum::name))
        .allSatisfy(name -> assertThat(ai.gateway.schemas.v1.ErrorCode.valueOf(name)).isNotNull());
  }
}
