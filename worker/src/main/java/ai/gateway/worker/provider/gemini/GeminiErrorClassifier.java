package ai.gateway.worker.provider.gemini;

import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.SafeMessage;
import ai.gateway.worker.provider.gemini.GeminiWire.Detail;
import ai.gateway.worker.provider.gemini.GeminiWire.ErrorBody;
import ai.gateway.worker.provider.gemini.GeminiWire.ErrorEnvelope;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;

/**
 * Gemini's failures to failure classes, from the HTTP status, the {@code google.rpc} status and the error
 * details ({@code ErrorInfo.reason}, {@code RetryInfo.retryDelay}). Gemini sends no {@code Retry-After}.
 *
 * <p>Rules, first match wins: {@code ErrorInfo.reason API_KEY_INVALID} (a wrong key is a 400, not a 401),
 * 401, 403, {@code UNAUTHENTICATED}, {@code PERMISSION_DENIED} → credential; 402 → quota (depleted prepaid
 * credits, Google's current answer); 429 / {@code RESOURCE_EXHAUSTED} → rate limit with the
 * {@code RetryInfo} delay, except the legacy unretryable 429 (see below); 400 {@code INVALID_ARGUMENT} whose
 * message is about the input token count → context length; 504, 408, {@code DEADLINE_EXCEEDED} → timeout;
 * 503, {@code UNAVAILABLE} → overloaded; other 5xx, 499, {@code INTERNAL} → transient; other 4xx
 * ({@code NOT_FOUND} model, {@code FAILED_PRECONDITION}, other {@code INVALID_ARGUMENT}) → caller fault.
 *
 * <p>Message text matters twice, each time inside one status that covers two failure classes:
 * {@code INVALID_ARGUMENT} "The input token count (N) exceeds the maximum" is the only way Gemini says
 * "context too long"; and before Google moved depleted prepaid credits to 402, they were a 429
 * {@code RESOURCE_EXHAUSTED} without {@code RetryInfo} saying "prepayment credits are depleted" — retrying
 * that never helps, so it stays quota. A 429 with {@code RetryInfo} is always a rate limit, whatever its
 * message says ("You exceeded your current quota" is Gemini's wording for a per-minute limit).
 */
final class GeminiErrorClassifier {

  private static final Pattern DURATION = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)s\\s*");

  private GeminiErrorClassifier() {
  }

  static FailureClass classify(int status, @Nullable ErrorBody error) {
    String rpcStatus = error == null || error.status() == null ? "" : error.status();
    String message = error == null || error.message() == null ? "" : error.message().toLowerCase(Locale.ROOT);
    if (hasReason(error, "API_KEY_INVALID") || status == 401 || status == 403 || rpcStatus.equals("UNAUTHENTICATED")
        || rpcStatus.equals("PERMISSION_DENIED")) {
      return FailureClass.CREDENTIAL;
    }
    if (status == 402) {
      return FailureClass.QUOTA;
    }
    if (status == 429 || rpcStatus.equals("RESOURCE_EXHAUSTED")) {
      boolean depletedCredits = message.contains("prepayment credits") || message.contains("credits are depleted");
      return retryDelay(error) == null && depletedCredits ? FailureClass.QUOTA : FailureClass.RATE_LIMIT;
    }
    if ((status == 400 || rpcStatus.equals("INVALID_ARGUMENT")) && message.contains("input token count")) {
      return FailureClass.CONTEXT_LENGTH;
    }
    if (status == 504 || status == 408 || rpcStatus.equals("DEADLINE_EXCEEDED")) {
      return FailureClass.TIMEOUT;
    }
    if (status == 503 || rpcStatus.equals("UNAVAILABLE")) {
      return FailureClass.OVERLOADED;
    }
    if (status >= 500 || status == 499 || rpcStatus.equals("INTERNAL") || rpcStatus.equals("UNKNOWN")) {
      return FailureClass.TRANSIENT;
    }
    return FailureClass.CALLER_FAULT;
  }

  /** A non-2xx response; {@code body} is already capped. Its content type may claim an event stream. */
  static ProviderException fromResponse(int status, byte[] body) {
    return toException(status, parse(body), "HTTP " + status);
  }

  /** An error object inside a 200 stream: its {@code code} is the status it would have had. */
  static ProviderException fromStreamError(ErrorBody error) {
    return toException(error.code() == null ? 0 : error.code(), error, "in the stream");
  }

  private static ProviderException toException(int status, @Nullable ErrorBody error, String where) {
    FailureClass failure = classify(status, error);
    String message = SafeMessage.of(failure, where).with("status", error == null ? null : error.status()).toString();
    Duration delay = failure == FailureClass.RATE_LIMIT ? retryDelay(error) : null;
    return new ProviderException(failure, message, delay, null);
  }

  /** {@code RetryInfo.retryDelay}, a protobuf duration in JSON ({@code "26s"}, {@code "1.5s"}). */
  static @Nullable Duration retryDelay(@Nullable ErrorBody error) {
    if (error == null || error.details() == null) {
      return null;
    }
    for (Detail detail : error.details()) {
      if (detail.type() != null && detail.type().endsWith("google.rpc.RetryInfo") && detail.retryDelay() != null) {
        Matcher matcher = DURATION.matcher(detail.retryDelay());
        if (matcher.matches()) {
          return Duration.ofMillis(new BigDecimal(matcher.group(1)).movePointRight(3).longValue());
        }
      }
    }
    return null;
  }

  private static boolean hasReason(@Nullable ErrorBody error, String reason) {
    if (error == null || error.details() == null) {
      return false;
    }
    return error.details().stream().anyMatch(detail -> reason.equals(detail.reason()));
  }

  static @Nullable ErrorBody parse(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    String json = new String(body, StandardCharsets.UTF_8).strip();
    // the non-SSE streaming mode wraps errors in a one-element array
    if (json.startsWith("[") && json.endsWith("]")) {
      json = json.substring(1, json.length() - 1).strip();
    }
    try {
      ErrorEnvelope envelope = GeminiWire.MAPPER.readValue(json, ErrorEnvelope.class);
      return envelope == null ? null : envelope.error();
    } catch (JacksonException e) {
      return null; // an HTML page from a proxy: the status decides alone
    }
  }
}
