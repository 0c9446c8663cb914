package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.openai.OpenAiWire.ErrorBody;
import ai.gateway.worker.provider.openai.OpenAiWire.ErrorEnvelope;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;
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

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

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
    return new ProviderException(failure, safeMessage(failure, "HTTP " + status, error), retryAfter(headers, clock),
        null);
  }

  /** {@code data: {"error": ...}} after a 200: there is no status, only type and code. */
  static ProviderException fromStreamError(ErrorBody error) {
    FailureClass failure = classify(0, error.type(), error.code());
    return new ProviderException(failure, safeMessage(failure, "in the stream", error));
  }

  /**
   * {@code retry-after-ms} (OpenAI's SDK reads it first), else {@code retry-after} as seconds or an HTTP
   * date. Absent or unreadable: {@code null}.
   */
  static @Nullable Duration retryAfter(HttpHeaders headers, Clock clock) {
    String millis = headers.getFirst("retry-after-ms");
    if (millis != null) {
      try {
        double value = Double.parseDouble(millis.strip());
        if (value >= 0 && Double.isFinite(value)) {
          return Duration.ofMillis(Math.round(value));
        }
      } catch (NumberFormatException e) {
        // fall through to retry-after
      }
    }
    String value = headers.getFirst(HttpHeaders.RETRY_AFTER);
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      double seconds = Double.parseDouble(value.strip());
      return seconds >= 0 && Double.isFinite(seconds) ? Duration.ofMillis(Math.round(seconds * 1000)) : null;
    } catch (NumberFormatException e) {
      try {
        Instant at = ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration delay = Duration.between(clock.instant(), at);
        return delay.isNegative() ? Duration.ZERO : delay;
      } catch (DateTimeParseException unreadable) {
        return null;
      }
    }
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

  /**
   * Built from our own words plus the provider's type and code when they look like identifiers. Never the
   * provider's message: OpenAI's 401 message echoes part of the key, others quote URLs.
   */
  private static String safeMessage(FailureClass failure, String where, @Nullable ErrorBody error) {
    String what = switch (failure) {
      case CREDENTIAL -> "the provider rejected the worker's credentials";
      case QUOTA -> "the provider account has insufficient quota";
      case RATE_LIMIT -> "the provider's rate limit was reached";
      case CALLER_FAULT -> "the provider rejected the request";
      case CONTEXT_LENGTH -> "the prompt exceeds the model's context length";
      case CONTENT_FILTERED -> "the provider's content filter stopped the answer";
      case OVERLOADED -> "the provider is overloaded";
      case TIMEOUT -> "the provider timed out";
      case TRANSIENT, MALFORMED -> "the provider failed";
    };
    StringBuilder message = new StringBuilder(what).append(" (").append(where);
    if (error != null) {
      appendIdentifier(message, "type", error.type());
      appendIdentifier(message, "code", error.code());
      appendIdentifier(message, "param", error.param());
    }
    return message.append(')').toString();
  }

  private static void appendIdentifier(StringBuilder message, String name, @Nullable String value) {
    if (value != null && IDENTIFIER.matcher(value).matches()) {
      message.append(", ").append(name).append(' ').append(value);
    }
  }
}
