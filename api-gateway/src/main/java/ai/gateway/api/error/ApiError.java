package ai.gateway.api.error;

import java.time.Duration;
import java.util.List;

import ai.gateway.schemas.v1.ErrorInfo;
import org.jspecify.annotations.Nullable;

/**
 * A normalized error as the client sees it. {@code detail} is always text the gateway (or a worker's
 * classifier) wrote: never the caller's input, a provider URL, a key or a stack trace.
 *
 * @param status     the HTTP status; usually {@code code.status()}, but {@code INVALID_REQUEST} also
 *                   answers 405, 406, 413 and 415
 * @param retryAfter sent as {@code Retry-After} on 429 and retryable 503s
 * @param fromWorker a worker classified (and logged and reported) it already; the gateway only relays it
 */
public record ApiError(ErrorCode code, int status, String detail, boolean retryable, @Nullable String provider,
                       @Nullable Duration retryAfter, List<FieldViolation> errors, boolean fromWorker) {

  private static final int MAX_WORKER_MESSAGE = 500;

  public ApiError {
    errors = List.copyOf(errors);
  }

  public static ApiError of(ErrorCode code, String detail) {
    return new ApiError(code, code.status(), detail, code.retryable(), null, null, List.of(), false);
  }

  public static ApiError invalid(String detail, List<FieldViolation> errors) {
    return of(ErrorCode.INVALID_REQUEST, detail).withErrors(errors);
  }

  public static ApiError invalidField(String field, String message) {
    return invalid("The request has an invalid field.", List.of(new FieldViolation(field, message)));
  }

  /** An {@code ERROR} event's payload as published by a worker. */
  public static ApiError fromWorker(@Nullable ErrorInfo info) {
    if (info == null) {
      return new ApiError(ErrorCode.UNAVAILABLE, ErrorCode.UNAVAILABLE.status(), "The worker reported an unspecified error.",
          true, null, null, List.of(), true);
    }
    ErrorCode code = ErrorCode.from(info.getCode());
    String message = safeText(info.getMessage());
    Long retryAfterMs = info.getRetryAfterMs();
    Duration retryAfter = retryAfterMs == null || retryAfterMs < 0 ? null : Duration.ofMillis(retryAfterMs);
    return new ApiError(code, code.status(), message.isEmpty() ? code.title() + "." : message, info.getRetryable(),
        blankToNull(info.getProvider()), retryAfter, List.of(), true);
  }

  public ApiError withStatus(int newStatus) {
    return new ApiError(code, newStatus, detail, retryable, provider, retryAfter, errors, fromWorker);
  }

  public ApiError withRetryAfter(Duration newRetryAfter) {
    return new ApiError(code, status, detail, retryable, provider, newRetryAfter, errors, fromWorker);
  }

  public ApiError withErrors(List<FieldViolation> newErrors) {
    return new ApiError(code, status, detail, retryable, provider, retryAfter, newErrors, fromWorker);
  }

  public ApiException exception() {
    return new ApiException(this, null);
  }

  public ApiException exception(Throwable cause) {
    return new ApiException(this, cause);
  }

  /** Whether {@code Retry-After} goes with it: the design's rule, 429 and retryable 503s. */
  public boolean carriesRetryAfter() {
    return status == 429 || (status == 503 && retryable);
  }

  /** {@code Retry-After} in whole seconds, rounded up, at least 1. */
  public long retryAfterSeconds() {
    if (retryAfter == null) {
      return 1;
    }
    long millis = retryAfter.toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }

  /** A worker's message is meant to be safe; still, cap it and drop control characters before it reaches a client. */
  private static String safeText(@Nullable String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_WORKER_MESSAGE));
    text.codePoints()
        .limit(MAX_WORKER_MESSAGE)
        .map(cp -> Character.isISOControl(cp) ? ' ' : cp)
        .forEach(out::appendCodePoint);
    return out.toString().strip();
  }

  private static @Nullable String blankToNull(@Nullable String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
