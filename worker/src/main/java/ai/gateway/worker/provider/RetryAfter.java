package ai.gateway.worker.provider;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;

/** The delay a provider asks for before a retry, from the headers OpenAI and Anthropic send. */
public final class RetryAfter {

  private RetryAfter() {
  }

  /**
   * {@code retry-after-ms} (both SDKs read it first), else {@code retry-after} as seconds or an HTTP date.
   * Absent or unreadable: {@code null}.
   */
  public static @Nullable Duration fromHeaders(HttpHeaders headers, Clock clock) {
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
}
