package ai.gateway.api.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import ai.gateway.schemas.v1.ErrorInfo;
import org.junit.jupiter.api.Test;

class ApiErrorTest {

  @Test
  void shouldMapAWorkerErrorWithItsOwnRetryableFlagAndProvider() {
    ErrorInfo info = ErrorInfo.newBuilder().setCode(ai.gateway.schemas.v1.ErrorCode.PROVIDER_ERROR)
        .setMessage("The provider failed.").setRetryable(false).setProvider("openai").build();

    ApiError error = ApiError.fromWorker(info);

    assertThat(error.code()).isEqualTo(ErrorCode.PROVIDER_ERROR);
    assertThat(error.status()).isEqualTo(502);
    assertThat(error.retryable()).isFalse();
    assertThat(error.provider()).isEqualTo("openai");
    assertThat(error.fromWorker()).isTrue();
  }

  @Test
  void shouldRoundRetryAfterUpToWholeSeconds() {
    ErrorInfo info = ErrorInfo.newBuilder().setCode(ai.gateway.schemas.v1.ErrorCode.RATE_LIMITED)
        .setMessage("slow down").setRetryable(true).setRetryAfterMs(1_200L).build();

    ApiError error = ApiError.fromWorker(info);

    assertThat(error.carriesRetryAfter()).isTrue();
    assertThat(error.retryAfterSeconds()).isEqualTo(2);
    assertThat(ApiError.of(ErrorCode.UNAVAILABLE, "x").withRetryAfter(Duration.ofMillis(10)).retryAfterSeconds()).isEqualTo(1);
    assertThat(ApiError.of(ErrorCode.UNAVAILABLE, "x").retryAfterSeconds()).isEqualTo(1);
  }

  @Test
  void shouldSendRetryAfterOnlyOn429AndRetryable503() {
    assertThat(ApiError.of(ErrorCode.RATE_LIMITED, "x").carriesRetryAfter()).isTrue();
    assertThat(ApiError.of(ErrorCode.UNAVAILABLE, "x").carriesRetryAfter()).isTrue();
    assertThat(ApiError.of(ErrorCode.INSUFFICIENT_QUOTA, "x").carriesRetryAfter()).isFalse();
    assertThat(ApiError.of(ErrorCode.TIMEOUT, "x").carriesRetryAfter()).isFalse();
    assertThat(ApiError.of(ErrorCode.INVALID_REQUEST, "x").carriesRetryAfter()).isFalse();
  }

  @Test
  void shouldStripControlCharactersAndCapWorkerMessages() {
    ErrorInfo info = ErrorInfo.newBuilder().setCode(ai.gateway.schemas.v1.ErrorCode.PROVIDER_ERROR)
        .setMessage("bad\r\nX-Forged: 1\u001b[31m" + "x".repeat(1_000)).setRetryable(true).build();

    ApiError error = ApiError.fromWorker(info);

    assertThat(error.detail()).doesNotContain("\r", "\n", "\u001b").hasSizeLessThanOrEqualTo(500);
  }

  @Test
  void shouldTreatAMissingErrorInfoAsRetryableUnavailable() {
    ApiError error = ApiError.fromWorker(null);

    assertThat(error.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(error.retryable()).isTrue();
  }
}
