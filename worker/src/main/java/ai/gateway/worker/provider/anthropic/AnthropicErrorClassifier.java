package ai.gateway.worker.provider.anthropic;

import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.RetryAfter;
import ai.gateway.worker.provider.SafeMessage;
import ai.gateway.worker.provider.anthropic.AnthropicWire.ErrorBody;
import ai.gateway.worker.provider.anthropic.AnthropicWire.Frame;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import tools.jackson.core.JacksonException;

/**
 * Anthropic's failures to failure classes, from the HTTP status and the error body's {@code error.type}.
 *
 * <p>Rules, first match wins: {@code authentication_error}, {@code permission_error}, 401, 403 → credential;
 * {@code billing_error}, 402 → quota; {@code rate_limit_error}, 429 → rate limit (delay from
 * {@code retry-after-ms} / {@code retry-after}); {@code overloaded_error}, 529 → overloaded;
 * {@code timeout_error}, 504, 408 → timeout; {@code request_too_large}, 413 → caller fault;
 * {@code api_error}, other 5xx, 409 (the SDK retries it) → transient; {@code invalid_request_error} → see
 * below; anything else → caller fault (inside a 200 stream: transient).
 *
 * <p>The one place message text matters: Anthropic answers a context overflow and an exhausted credit
 * balance with the same 400 {@code invalid_request_error} as any bad parameter (live captures; its errors
 * page says spend limits return 400 too), and gives no code. Within that type only, the fixed phrases
 * "prompt is too long" / "exceed context limit" mean context length and "credit balance is too low" means
 * quota. Anything else of that type is the caller's fault, even when it talks about tokens ("max_tokens:
 * 128001 > 64000" is a plain invalid request).
 */
final class AnthropicErrorClassifier {

  private AnthropicErrorClassifier() {
  }

  static FailureClass classify(int status, @Nullable String type, @Nullable String message) {
    String errorType = type == null ? "" : type;
    if (errorType.equals("authentication_error") || errorType.equals("permission_error") || status == 401
        || status == 403) {
      return FailureClass.CREDENTIAL;
    }
    if (errorType.equals("billing_error") || status == 402) {
      return FailureClass.QUOTA;
    }
    if (errorType.equals("rate_limit_error") || status == 429) {
      return FailureClass.RATE_LIMIT;
    }
    if (errorType.equals("overloaded_error") || status == 529) {
      return FailureClass.OVERLOADED;
    }
    if (errorType.equals("timeout_error") || status == 504 || status == 408) {
      return FailureClass.TIMEOUT;
    }
    if (errorType.equals("request_too_large") || status == 413) {
      return FailureClass.CALLER_FAULT;
    }
    if (errorType.equals("api_error") || status >= 500 || status == 409) {
      return FailureClass.TRANSIENT;
    }
    if (errorType.equals("invalid_request_error") || status == 400) {
      return invalidRequest(message);
    }
    // inside a 200 stream an unknown error type is the provider's trouble, before it a 4xx is ours
    return status == 0 ? FailureClass.TRANSIENT : FailureClass.CALLER_FAULT;
  }

  private static FailureClass invalidRequest(@Nullable String message) {
    String text = message == null ? "" : message.toLowerCase(Locale.ROOT);
    if (text.startsWith("prompt is too long") || text.contains("exceed context limit")) {
      return FailureClass.CONTEXT_LENGTH;
    }
    if (text.contains("credit balance is too low")) {
      return FailureClass.QUOTA;
    }
    return FailureClass.CALLER_FAULT;
  }

  /** A non-2xx response; {@code body} is already capped. */
  static ProviderException fromResponse(int status, HttpHeaders headers, byte[] body, Clock clock) {
    ErrorBody error = parse(body);
    FailureClass failure = classify(status, error == null ? null : error.type(), error == null ? null : error.message());
    String message = SafeMessage.of(failure, "HTTP " + status).with("type", error == null ? null : error.type())
        .toString();
    return new ProviderException(failure, message, RetryAfter.fromHeaders(headers, clock), null);
  }

  /** {@code event: error} after a 200: "would normally correspond to an HTTP 529" for overloaded_error. */
  static ProviderException fromStreamError(@Nullable ErrorBody error) {
    String type = error == null ? null : error.type();
    FailureClass failure = classify(0, type, error == null ? null : error.message());
    return new ProviderException(failure, SafeMessage.of(failure, "in the stream").with("type", type).toString());
  }

  private static @Nullable ErrorBody parse(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      Frame frame = AnthropicWire.MAPPER.readValue(new String(body, StandardCharsets.UTF_8), Frame.class);
      return frame == null ? null : frame.error();
    } catch (JacksonException e) {
      return null; // an HTML page from a proxy: the status decides alone
    }
  }
}
