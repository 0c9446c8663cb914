package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.RetryAfter;
import ai.gateway.worker.provider.SafeMessage;
import ai.gateway.worker.provider.openai.OpenAiWire.ErrorBody;
import ai.gateway.worker.provider.openai.OpenAiWire.ErrorEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import tools.jackson.core.JacksonException;

/**
 * OpenAI's failures to failure classes, from the HTTP status and the error body's {@code type} and
 * {@code code} — never from the message text, which changes wording and talks about tokens in errors that
 * are not about context length ("max_tokens is too large" is a plain invalid request).
 *
 * <p>Rules, first match wins: {@code code=context_length_exceeded} → context length; {@code code} or
 * {@code type} {@code insufficient_quota} → quota (a 429 that retrying never fixes); 401/403 → credential;
 * 429 → rate limit; 408 → timeout; 503 or {@code server_is_overloaded} → overloaded; other 5xx → transient;
 * other 4xx → caller fault.
 */
final class OpenAiErrorClassifier {

  private OpenAiErrorClassifier() {
  }

  static FailureClass classify(int status, @Nullable String type, @Nullable String code) {
    if ("context_length_exceeded".equals(code)) {
      return FailureClass.CONTEXT_LENGTH;
    }
    if ("insufficient_quota".equals(code) || "insufficient_quota".equals(type)) {
      return FailureClass.QUOTA;
    }
    if (status == 401 || status == 403 || "invalid_api_key".equals(code)) {
      return FailureClass.CREDENTIAL;
    }
    if (status == 429 || "rate_limit_exceeded".equals(code)) {
      return FailureClass.RATE_LIMIT;
    }
    if (status == 408) {
      return FailureClass.TIMEOUT;
    }
    if (status == 503 || "server_is_overloaded".equals(code) || "service_unavailable_error".equals(type)) {
      return FailureClass.OVERLOADED;
    }
    if (status >= 500 || status == 0) {
      return FailureClass.TRANSIENT;
    }
    return FailureClass.CALLER_FAULT;
  }

  /** A non-2xx response; {@code body} is already capped. */
  static ProviderException fromResponse(int status, HttpHeaders headers, byte[] body, Clock clock) {
    ErrorBody error = parse(body);
    String type = error == null ? null : error.type();
    String code = error == null ? null : error.code();
    FailureClass failure = classify(status, type, code);
    return new ProviderException(failure, safeMessage(failure, "HTTP " + status, error),
        RetryAfter.fromHeaders(headers, clock), null);
  }

  /** {@code data: {"error": ...}} after a 200: there is no status, only type and code. */
  static ProviderException fromStreamError(ErrorBody error) {
    FailureClass failure = classify(0, error.type(), error.code());
    return new ProviderException(failure, safeMessage(failure, "in the stream", error));
  }

  private static @Nullable ErrorBody parse(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      ErrorEnvelope envelope = OpenAiWire.MAPPER.readValue(new String(body, StandardCharsets.UTF_8), ErrorEnvelope.class);
      return envelope == null ? null : envelope.error();
    } catch (JacksonException e) {
      return null; // an HTML error page from a proxy: the status decides alone
    }
  }

  private static String safeMessage(FailureClass failure, String where, @Nullable ErrorBody error) {
    SafeMessage message = SafeMessage.of(failure, where);
    if (error != null) {
      message.with("type", error.type()).with("code", error.code()).with("param", error.param());
    }
    return message.toString();
  }
}
