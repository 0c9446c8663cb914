package ai.gateway.api.ratelimit;

import java.time.Duration;

import ai.gateway.api.config.GatewayProperties.RateLimit.Window;
import org.jspecify.annotations.Nullable;

/**
 * The answer of a {@link RateLimiter}.
 *
 * @param retryAfter when a rejected request would first be admitted, from the limiter's state (zero when admitted)
 * @param limitedBy  the window that had no room (the one freeing up last when several had none)
 */
public record RateLimitDecision(boolean admitted, Duration retryAfter, @Nullable Window limitedBy) {

  static final RateLimitDecision ADMITTED = new RateLimitDecision(true, Duration.ZERO, null);

  static RateLimitDecision rejected(Duration retryAfter, Window limitedBy) {
    return new RateLimitDecision(false, retryAfter, limitedBy);
  }
}
