package ai.gateway.api.error;

import org.jspecify.annotations.Nullable;

/** Carries an {@link ApiError} to the one handler that renders problem details. */
public final class ApiException extends RuntimeException {

  private final ApiError error;

  ApiException(ApiError error, @Nullable Throwable cause) {
    // Client errors are expected traffic: no stack trace to fill. Server-side ones keep theirs for logs and Sentry.
    super(error.code() + ": " + error.detail(), cause, false, error.status() >= 500);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }
}
