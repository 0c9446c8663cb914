package ai.gateway.worker.resilience;

import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderId;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * One resilience4j circuit breaker per provider, shared by every job on this worker. It counts only
 * failures that say the provider is unwell ({@link ai.gateway.worker.provider.FailureClass#countsAgainstProvider()}):
 * a refused key or a bad request is a working provider's answer. An open circuit moves to half-open by
 * itself after its wait, lets a few probe calls through, and closes again when they succeed.
 */
@Component
public final class ProviderCircuits {

  private static final Logger log = LoggerFactory.getLogger(ProviderCircuits.class);
  /** A half-open circuit that refuses a call is about to decide; try again soon. */
  private static final Duration HALF_OPEN_RETRY = Duration.ofSeconds(1);

  private final CircuitBreakerConfig config;
  private final Duration waitInOpenState;
  private final Clock clock;
  private final ConcurrentMap<ProviderId, CircuitBreaker> breakers = new ConcurrentHashMap<>();
  private final ConcurrentMap<ProviderId, Instant> halfOpenAt = new ConcurrentHashMap<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public ProviderCircuits(ResilienceProperties properties, Clock clock) {
    ResilienceProperties.Circuit circuit = properties.circuit();
    this.waitInOpenState = circuit.waitInOpenState();
    this.clock = clock;
    this.config = CircuitBreakerConfig.custom()
        .slidingWindow(circuit.slidingWindowSize(), circuit.minimumNumberOfCalls(), SlidingWindowType.COUNT_BASED)
        .failureRateThreshold(circuit.failureRateThreshold())
        .waitDurationInOpenState(circuit.waitInOpenState())
        .permittedNumberOfCallsInHalfOpenState(circuit.permittedCallsInHalfOpenState())
        .automaticTransitionFromOpenToHalfOpenEnabled(true)
        .recordException(error -> error instanceof ProviderException failure
            && failure.failureClass().countsAgainstProvider())
        .writableStackTraceEnabled(false)
        .build();
  }

  public CircuitBreaker breaker(ProviderId provider) {
    return breakers.computeIfAbsent(provider, this::create);
  }

  /** Open: calls are refused until it turns half-open. */
  public boolean isOpen(ProviderId provider) {
    CircuitBreaker.State state = breaker(provider).getState();
    return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
  }

  /** How long a caller refused by this circuit should wait: until it turns half-open, at least 1 s. */
  public Duration retryAfter(ProviderId provider) {
    Instant at = halfOpenAt.get(provider);
    Duration left = at == null ? HALF_OPEN_RETRY : Duration.between(clock.instant(), at);
    return left.compareTo(HALF_OPEN_RETRY) < 0 ? HALF_OPEN_RETRY : left;
  }

  /** Runs after every state change of any circuit (on the thread that caused it: keep it short). */
  public void onStateChange(Runnable listener) {
    listeners.add(listener);
  }

  private CircuitBreaker create(ProviderId provider) {
    CircuitBreaker breaker = CircuitBreaker.of(provider.wireName(), config);
    breaker.getEventPublisher().onStateTransition(event -> {
      CircuitBreaker.State to = event.getStateTransition().getToState();
      if (to == CircuitBreaker.State.OPEN) {
        halfOpenAt.put(provider, clock.instant().plus(waitInOpenState));
        log.warn("circuit of provider {} opened: calls are refused for {}", provider, waitInOpenState);
      } else {
        log.info("circuit of provider {} is {}", provider, to);
      }
      listeners.forEach(Runnable::run);
    });
    return breaker;
  }
}
