package ai.gateway.worker.job;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import io.sentry.Sentry;
import io.sentry.SentryEvent;
import io.sentry.SentryLevel;
import io.sentry.protocol.Message;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Sends the job errors the design's table marks for Sentry. Events carry the code, the provider and the
 * safe message only — never the prompt, a key, or the provider's URL — and no exception, whose message
 * and causes would name the URL. Without {@code sentry.dsn} the SDK is disabled and this does nothing.
 */
@Component
final class ErrorReporting {

  /**
   * The design's Sentry column for codes a worker produces. Caller-side or expected outcomes (rate limits,
   * filtered content, cancellations, invalid requests) are no incident.
   */
  static boolean reportable(ErrorCode code) {
    return switch (code) {
      case PROVIDER_NOT_CONFIGURED, INSUFFICIENT_QUOTA, TIMEOUT, PROVIDER_ERROR, UNAVAILABLE,
          CONTEXT_LENGTH_EXCEEDED -> true; // context length: "provider's only", the only kind a worker sees
      default -> false;
    };
  }

  void report(String jobId, ErrorInfo error) {
    if (!reportable(error.getCode()) || !Sentry.isEnabled()) {
      return;
    }
    SentryEvent event = new SentryEvent();
    event.setLevel(SentryLevel.ERROR);
    Message message = new Message();
    message.setMessage("job failed: " + error.getCode() + ": " + error.getMessage());
    event.setMessage(message);
    event.setFingerprints(java.util.List.of("job-error", error.getCode().name(),
        error.getProvider() == null ? "-" : error.getProvider()));
    event.setTag("code", error.getCode().name());
    if (error.getProvider() != null) {
      event.setTag("provider", error.getProvider());
    }
    event.getContexts().put("job", Map.of("jobId", jobId, "retryable", error.getRetryable()));
    Sentry.captureEvent(event);
  }
}
