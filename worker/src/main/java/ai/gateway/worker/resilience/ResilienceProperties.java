package ai.gateway.worker.resilience;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code worker.resilience.*}: how often and how patiently a job's provider calls are repeated, and when a
 * provider's circuit opens.
 *
 * @param maxAttempts provider calls per job attempt, all providers together (1 = no retry): the bound on
 *     upstream calls per request, so a storm of failures is never amplified beyond this factor
 * @param initialBackoff delay before the second call to the same provider; doubles (by
 *     {@code backoffMultiplier}) per call, randomized by ±{@code jitter}, at most {@code maxBackoff}; a
 *     provider's own retry delay wins when it is longer
 * @param circuit the per-provider circuit breaker
 */
@ConfigurationProperties(prefix = "worker.resilience", ignoreUnknownFields = false)
public record ResilienceProperties(
    @DefaultValue("3") int maxAttempts,
    @DefaultValue("200ms") Duration initialBackoff,
    @DefaultValue("2.0") double backoffMultiplier,
    @DefaultValue("0.5") double jitter,
    @DefaultValue("5s") Duration maxBackoff,
    @DefaultValue Circuit circuit) {

  public ResilienceProperties {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("worker.resilience.max-attempts must be >= 1");
    }
    if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("worker.resilience: 0 < initial-backoff <= max-backoff");
    }
    if (backoffMultiplier < 1 || jitter < 0 || jitter >= 1) {
      throw new IllegalArgumentException("worker.resilience: backoff-multiplier >= 1, 0 <= jitter < 1");
    }
  }

  /**
   * @param failureRateThreshold percentage of failed calls (5xx, overload, rate limit, timeout, malformed
   *     stream; not refused keys or bad requests) in the window that opens the circuit
   * @param slidingWindowSize calls the failure rate is computed over
   * @param minimumNumberOfCalls calls needed before the rate counts at all
   * @param waitInOpenState how long an open circuit refuses calls before it lets a few probes through
   *     (half-open) on its own
   * @param permittedCallsInHalfOpenState probes that decide between closing and opening again
   */
  public record Circuit(
      @DefaultValue("50") float failureRateThreshold,
      @DefaultValue("20") int slidingWindowSize,
      @DefaultValue("10") int minimumNumberOfCalls,
      @DefaultValue("30s") Duration waitInOpenState,
      @DefaultValue("3") int permittedCallsInHalfOpenState) {

    public Circuit {
      if (failureRateThreshold <= 0 || failureRateThreshold > 100 || slidingWindowSize < 1
          || minimumNumberOfCalls < 1 || permittedCallsInHalfOpenState < 1
          || waitInOpenState.isNegative() || waitInOpenState.isZero()) {
        throw new IllegalArgumentException("worker.resilience.circuit settings out of range");
      }
    }
  }

  /** The defaults above: for tests and tools. */
  public static ResilienceProperties defaults() {
    return new ResilienceProperties(3, Duration.ofMillis(200), 2.0, 0.5, Duration.ofSeconds(5),
        new Circuit(50, 20, 10, Duration.ofSeconds(30), 3));
  }
}
