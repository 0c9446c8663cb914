package ai.gateway.simulator;

import org.jspecify.annotations.Nullable;

/** A request the provider would reject with 400 {@code invalid_request_error}; carries the wire's fields. */
final class InvalidRequestException extends RuntimeException {

  private final @Nullable String param;
  private final @Nullable String code;

  InvalidRequestException(String message, @Nullable String param, @Nullable String code) {
    super(message, null, false, false);
    this.param = param;
    this.code = code;
  }

  @Nullable String param() {
    return param;
  }

  @Nullable String code() {
    return code;
  }
}
