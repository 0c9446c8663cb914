package ai.gateway.worker.provider;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A classified provider failure. The message is safe to show the job's owner: adapters build it from the
 * failure class, HTTP status and the provider's error type/code, never from the provider's message text
 * (OpenAI's 401 message echoes part of the key), a URL, or the prompt.
 */
public final class ProviderException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final FailureClass failureClass;
  private final @Nullable Duration retryAfter;

  public ProviderException(FailureClass failureClass, String safeMessage) {
    this(failureClass, safeMessage, null, null);
  }

  public ProviderException(FailureClass failureClass, String safeMessage, @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
    // no stack trace of the provider call matters once classified; the cause keeps the detail for logs
    super(Objects.requireNonNull(safeMessage, "safeMessage"), cause, false, false);
    this.failureClass = Objects.requireNonNull(failureClass, "failureClass");
    this.retryAfter = retryAfter;
  }

  public FailureClass failureClass() {
    return failureClass;
  }

  /** The provider's requested delay (Retry-After), if it gave one. */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }
}
