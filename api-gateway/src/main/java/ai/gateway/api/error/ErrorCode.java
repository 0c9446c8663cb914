package ai.gateway.api.error;

/**
 * DESIGN.md's error table, held once: the HTTP status, whether the client may retry, and whether the
 * error is reported to Sentry. Every problem body and every stream {@code error} event takes its code
 * from here.
 */
public enum ErrorCode {

  INVALID_REQUEST(400, false, Sentry.NO, "Invalid request"),
  UNAUTHENTICATED(401, false, Sentry.NO, "Unauthenticated"),
  ENTITLEMENT_REQUIRED(403, false, Sentry.NO, "Entitlement required"),
  NOT_FOUND(404, false, Sentry.NO, "Not found"),
  IDEMPOTENCY_CONFLICT(409, true, Sentry.NO, "Idempotency conflict"),
  RATE_LIMITED(429, true, Sentry.NO, "Rate limited"),
  CONTEXT_LENGTH_EXCEEDED(400, false, Sentry.PROVIDER_ONLY, "Context length exceeded"),
  CONTENT_FILTERED(422, false, Sentry.NO, "Content filtered"),
  PROVIDER_NOT_CONFIGURED(503, false, Sentry.YES, "Provider not configured"),
  INSUFFICIENT_QUOTA(503, false, Sentry.YES, "Insufficient quota"),
  TIMEOUT(504, true, Sentry.YES, "Timeout"),
  PROVIDER_ERROR(502, true, Sentry.YES, "Provider error"),
  UNAVAILABLE(503, true, Sentry.YES, "Unavailable"),
  /**
   * The design has no HTTP status for it (job state and stream event only). A sync or stream call
   * whose job was cancelled by someone else before its first event answers 409: the request
   * conflicted with a cancel of the same job.
   */
  CANCELLED(409, false, Sentry.NO, "Cancelled");

  /** Which occurrences of a code are reported to Sentry. */
  public enum Sentry { NO, YES, PROVIDER_ONLY }

  private static final String TYPE_PREFIX = "urn:ai-gateway:error:";

  private final int status;
  private final boolean retryable;
  private final Sentry sentry;
  private final String title;

  ErrorCode(int status, boolean retryable, Sentry sentry, String title) {
    this.status = status;
    this.retryable = retryable;
    this.sentry = sentry;
    this.title = title;
  }

  public int status() {
    return status;
  }

  /** The default; a worker's error event carries its own flag (a provider's 5xx is retryable, a bad key is not). */
  public boolean retryable() {
    return retryable;
  }

  public String title() {
    return title;
  }

  /** The problem {@code type}: a URI naming the code. */
  public String type() {
    return TYPE_PREFIX + name();
  }

  public boolean reportToSentry(boolean providerCaused) {
    return sentry == Sentry.YES || (sentry == Sentry.PROVIDER_ONLY && providerCaused);
  }

  /**
   * Maps the code a worker put on Kafka. {@code UNKNOWN} is what this gateway reads for a code a newer
   * worker added: it becomes a retryable {@code UNAVAILABLE}, the safest generic failure.
   */
  public static ErrorCode from(ai.gateway.schemas.v1.ErrorCode code) {
    return switch (code) {
      case INVALID_REQUEST -> INVALID_REQUEST;
      case UNAUTHENTICATED -> UNAUTHENTICATED;
      case ENTITLEMENT_REQUIRED -> ENTITLEMENT_REQUIRED;
      case NOT_FOUND -> NOT_FOUND;
      case IDEMPOTENCY_CONFLICT -> IDEMPOTENCY_CONFLICT;
      case RATE_LIMITED -> RATE_LIMITED;
      case CONTEXT_LENGTH_EXCEEDED -> CONTEXT_LENGTH_EXCEEDED;
      case CONTENT_FILTERED -> CONTENT_FILTERED;
      case PROVIDER_NOT_CONFIGURED -> PROVIDER_NOT_CONFIGURED;
      case INSUFFICIENT_QUOTA -> INSUFFICIENT_QUOTA;
      case TIMEOUT -> TIMEOUT;
      case PROVIDER_ERROR -> PROVIDER_ERROR;
      case UNAVAILABLE, UNKNOWN -> UNAVAILABLE;
      case CANCELLED -> CANCELLED;
    };
  }
}
