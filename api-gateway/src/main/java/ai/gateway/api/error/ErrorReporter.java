package ai.gateway.api.error;

import io.micrometer.core.instrument.MeterRegistry;
import io.sentry.Sentry;
import io.sentry.SentryLevel;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Logs an error once, counts it, and sends the codes the design marks for Sentry there, tagged with the
 * code and the request id. Nothing the caller sent goes into a log line or a Sentry event: the messages
 * here are the gateway's own, and Sentry never gets request bodies ({@code max-request-body-size} stays
 * {@code none}).
 */
@Component
public final class ErrorReporter {

  private static final Logger log = LoggerFactory.getLogger(ErrorReporter.class);

  private final MeterRegistry meters;

  public ErrorReporter(MeterRegistry meters) {
    this.meters = meters;
  }

  /**
   * @param cause the exception behind it, if any (a Kafka timeout, a bug); its stack trace goes to the log
   *              and Sentry only for server-side errors
   */
  public void report(ApiError error, @Nullable Throwable cause, String requestId) {
    meters.counter("gateway.errors", "code", error.code().name(), "status", Integer.toString(error.status())).increment();
    if (error.fromWorker()) {
      // The worker classified, logged and reported it where it happened; relaying it is not a new error.
      log.debug("request {} ended with worker error {}", requestId, error.code());
      return;
    }
    // An exception that is not an ApiException reached the handler unclassified: a bug, logged with its trace.
    boolean unexpected = error.status() >= 500 && cause != null && !(cause instanceof ApiException);
    Throwable underlying = cause instanceof ApiException api ? api.getCause() : null;
    if (unexpected) {
      log.error("request {} failed unexpectedly, answered {} {}", requestId, error.status(), error.code(), cause);
    } else if (error.status() >= 500) {
      log.warn("request {} answered {} {}: {}{}", requestId, error.status(), error.code(), error.detail(),
          underlying == null ? "" : " (" + underlying + ")");
    } else {
      log.debug("request {} answered {} {}", requestId, error.status(), error.code());
    }
    if (error.code().reportToSentry(error.provider() != null) && Sentry.isEnabled()) {
      Throwable event = cause != null ? cause : error.exception();
      Sentry.captureException(event, scope -> {
        scope.setTag("code", error.code().name());
        scope.setTag("request_id", requestId);
        scope.setLevel(unexpected ? SentryLevel.ERROR : SentryLevel.WARNING);
      });
    }
  }
}
