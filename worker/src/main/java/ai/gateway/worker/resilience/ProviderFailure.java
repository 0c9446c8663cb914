package ai.gateway.worker.resilience;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderId;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a job's provider calls ended without an answer, in the design's terms: the code, whether the caller
 * may retry, the provider (when one is to blame or was chosen) and its retry delay. The message is safe to
 * show the job's owner.
 */
public final class ProviderFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final ErrorCode code;
  private final boolean retryable;
  private final @Nullable String provider;
  private final @Nullable Duration retryAfter;
  private final @Nullable FailureClass failureClass;

  private ProviderFailure(ErrorCode code, String message, boolean retryable, @Nullable String provider,
      @Nullable Duration retryAfter, @Nullable ProviderException cause) {
    super(Objects.requireNonNull(message, "message"), cause, false, false);
    this.code = code;
    this.retryable = retryable;
    this.provider = provider;
    this.retryAfter = retryAfter;
    this.failureClass = cause == null ? null : cause.failureClass();
  }

  /** The provider's own failure, classified by its adapter. */
  static ProviderFailure of(ProviderId provider, ProviderException failure) {
    FailureClass failureClass = failure.failureClass();
    return new ProviderFailure(failureClass.code(), failure.getMessage(), failureClass.retryable(),
        provider.wireName(), failure.retryAfter(), failure);
  }

  /** No call was made: the job asked for a provider this worker has no key for, or none is configured. */
  static ProviderFailure notConfigured(@Nullable String provider) {
    String what = provider == null ? "no provider is configured" : "provider " + provider + " is not configured";
    return new ProviderFailure(ErrorCode.PROVIDER_NOT_CONFIGURED, what + " on this worker", false, provider, null,
        null);
  }

  /** No call was made: the provider's circuit is open (the design's 503 with provider and Retry-After). */
  static ProviderFailure circuitOpen(ProviderId provider, Duration retryAfter) {
    return new ProviderFailure(ErrorCode.UNAVAILABLE, "provider " + provider
        + " is unavailable: too many of its recent calls failed", true, provider.wireName(), retryAfter, null);
  }

  /** No call was made: the model may not be asked of the provider (allowlist, name syntax). */
  static ProviderFailure modelRefused(@Nullable String provider, String why) {
    return new ProviderFailure(ErrorCode.INVALID_REQUEST, why, false, provider, null, null);
  }

  /** No call was made: the job's deadline had passed. */
  static ProviderFailure deadlinePassed(@Nullable String provider) {
    return new ProviderFailure(ErrorCode.TIMEOUT, "the job's deadline passed before it started", true, provider,
        null, null);
  }

  public ErrorCode code() {
    return code;
  }

  public boolean retryable() {
    return retryable;
  }

  public @Nullable String provider() {
    return provider;
  }

  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  /** The adapter's class when a provider call failed; {@code null} when no call was made. */
  public @Nullable FailureClass failureClass() {
    return failureClass;
  }
}
