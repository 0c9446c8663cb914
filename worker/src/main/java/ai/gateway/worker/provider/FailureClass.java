package ai.gateway.worker.provider;

import ai.gateway.schemas.v1.ErrorCode;

/**
 * Why a provider call failed, decided once at the adapter's edge from the provider's status and error
 * type (never from message text). Retry and fallback decide from the class; the design's error code and
 * retryability are mapped here, once.
 */
public enum FailureClass {
  /** The provider rejected our key: an operator problem, not the caller's. */
  CREDENTIAL(ErrorCode.PROVIDER_ERROR, false),
  /** Billing or quota exhausted: retrying never helps (an OpenAI 429 with code {@code insufficient_quota}). */
  QUOTA(ErrorCode.INSUFFICIENT_QUOTA, false),
  RATE_LIMIT(ErrorCode.RATE_LIMITED, true),
  /** The request itself is wrong (unknown model, bad parameter). */
  CALLER_FAULT(ErrorCode.INVALID_REQUEST, false),
  CONTEXT_LENGTH(ErrorCode.CONTEXT_LENGTH_EXCEEDED, false),
  CONTENT_FILTERED(ErrorCode.CONTENT_FILTERED, false),
  /** 5xx, connection failures, an error object inside a 200 stream. */
  TRANSIENT(ErrorCode.PROVIDER_ERROR, true),
  OVERLOADED(ErrorCode.PROVIDER_ERROR, true),
  TIMEOUT(ErrorCode.TIMEOUT, true),
  /**
   * An answer we cannot read: undecodable frames, an oversized line, a stream that ends without a finish
   * reason. Retryable: in practice it is a connection cut mid-answer (the shared fixtures expect a
   * truncated stream to be retryable), and a later retry policy bounds the attempts anyway.
   */
  MALFORMED(ErrorCode.PROVIDER_ERROR, true);

  private final ErrorCode code;
  private final boolean retryable;

  FailureClass(ErrorCode code, boolean retryable) {
    this.code = code;
    this.retryable = retryable;
  }

  public ErrorCode code() {
    return code;
  }

  public boolean retryable() {
    return retryable;
  }
}
