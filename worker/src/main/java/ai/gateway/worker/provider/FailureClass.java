package ai.gateway.worker.provider;

import ai.gateway.schemas.v1.ErrorCode;

/**
 * Why a provider call failed, decided once at the adapter's edge from the provider's status and error
 * type. Message text is read only where one error type covers failures of different classes (Anthropic's
 * 400 {@code invalid_request_error} for context overflow and exhausted credit, Gemini's 400
 * {@code INVALID_ARGUMENT} for context overflow), and then only a fixed phrase within that type. Retry and
 * fallback decide from the class; the design's error code and retryability are mapped here, once.
 */
public enum FailureClass {
  /** The provider rejected our key: an operator problem, not the caller's. */
  CREDENTIAL(ErrorCode.PROVIDER_ERROR, false, "the provider rejected the worker's credentials"),
  /** Billing or quota exhausted: retrying never helps (an OpenAI 429 with code {@code insufficient_quota}). */
  QUOTA(ErrorCode.INSUFFICIENT_QUOTA, false, "the provider account has insufficient quota"),
  RATE_LIMIT(ErrorCode.RATE_LIMITED, true, "the provider's rate limit was reached"),
  /** The request itself is wrong (unknown model, bad parameter). */
  CALLER_FAULT(ErrorCode.INVALID_REQUEST, false, "the provider rejected the request"),
  CONTEXT_LENGTH(ErrorCode.CONTEXT_LENGTH_EXCEEDED, false, "the prompt exceeds the model's context length"),
  CONTENT_FILTERED(ErrorCode.CONTENT_FILTERED, false, "the provider's content filter stopped the answer"),
  /** 5xx, connection failures, an error object inside a 200 stream. */
  TRANSIENT(ErrorCode.PROVIDER_ERROR, true, "the provider failed"),
  OVERLOADED(ErrorCode.PROVIDER_ERROR, true, "the provider is overloaded"),
  TIMEOUT(ErrorCode.TIMEOUT, true, "the provider timed out"),
  /**
   * An answer we cannot read: undecodable frames, an oversized line, a stream that ends without a finish
   * reason. Retryable: in practice it is a connection cut mid-answer (the shared fixtures expect a
   * truncated stream to be retryable), and a later retry policy bounds the attempts anyway.
   */
  MALFORMED(ErrorCode.PROVIDER_ERROR, true, "the provider failed");

  private final ErrorCode code;
  private final boolean retryable;
  private final String description;

  FailureClass(ErrorCode code, boolean retryable, String description) {
    this.code = code;
    this.retryable = retryable;
    this.description = description;
  }

  /**
   * The start of a safe message, in our own words; classifiers add the HTTP status and the provider's error
   * type when it looks like an identifier, never the provider's message.
   */
  public String description() {
    return description;
  }

  /**
   * Whether the failure says something about the provider's health, so that the circuit breaker counts it:
   * a refused key, an exhausted quota or a bad request are answers of a working provider.
   */
  public boolean countsAgainstProvider() {
    return this == RATE_LIMIT || this == TRANSIENT || this == OVERLOADED || this == TIMEOUT || this == MALFORMED;
  }

  public ErrorCode code() {
    return code;
  }

  public boolean retryable() {
    return retryable;
  }
}
