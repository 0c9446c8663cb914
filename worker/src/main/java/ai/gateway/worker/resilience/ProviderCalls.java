package ai.gateway.worker.resilience;

import ai.gateway.worker.provider.ProviderAdapter;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderId;
import ai.gateway.worker.provider.ProviderRegistry;
import ai.gateway.worker.provider.ProviderRequest;
import ai.gateway.worker.provider.RequestSent;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A job attempt's provider calls: which provider, and what happens when a call fails.
 *
 * <ul>
 *   <li>Choice: the job's provider, else the first configured one whose circuit is not open, in fallback
 *       order. A provider the worker has no key for fails with {@code PROVIDER_NOT_CONFIGURED}, an open
 *       circuit with {@code UNAVAILABLE} and a retry delay, a refused model with {@code INVALID_REQUEST} —
 *       all before any HTTP call.</li>
 *   <li>Retry: only failures whose class is retryable, and only while nothing of the answer has reached the
 *       client (text already sent cannot be taken back: a later failure ends the job with an error event).
 *       At most {@code max-attempts} calls per job attempt across all providers, so upstream calls are at
 *       most that many times the requests. The delay is exponential backoff with jitter, or the provider's
 *       own retry delay when longer; a delay that does not fit before the deadline ends the job at once
 *       with the failure and its delay ({@code RATE_LIMITED} + {@code retryAfterMs}).</li>
 *   <li>Fallback: a job that names neither provider nor model moves to the next configured provider with a
 *       closed circuit at once, without waiting; the last one is retried with backoff.</li>
 *   <li>Circuit: every call goes through its provider's breaker ({@link ProviderCircuits}); a cancelled call
 *       (client gone, deadline) is not counted either way.</li>
 * </ul>
 *
 * <p>The attempt bookkeeping (which call this is, the backoff schedule, when attempts are used up) is
 * resilience4j's {@link Retry}; the loop is here because each call must be announced to the job before it
 * starts (its own usage event), may switch provider, and must stop retrying once text went out.
 */
@Component
public final class ProviderCalls {

  private static final Logger log = LoggerFactory.getLogger(ProviderCalls.class);

  private final ProviderRegistry providers;
  private final ProviderCircuits circuits;
  private final Retry retry;
  private final Clock clock;

  public ProviderCalls(ProviderRegistry providers, ProviderCircuits circuits, ResilienceProperties properties,
      Clock clock) {
    this.providers = providers;
    this.circuits = circuits;
    this.clock = clock;
    IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(properties.initialBackoff(),
        properties.backoffMultiplier(), properties.jitter(), properties.maxBackoff());
    IntervalBiFunction<Object> delay = (attempt, outcome) -> {
      long millis = backoff.apply(attempt);
      if (outcome.isLeft() && outcome.getLeft() instanceof ProviderException failure
          && failure.retryAfter() != null) {
        // the provider said how long; retrying sooner only earns another refusal
        millis = Math.max(millis, failure.retryAfter().toMillis());
      }
      return millis;
    };
    this.retry = Retry.of("provider-calls", RetryConfig.custom()
        .maxAttempts(properties.maxAttempts())
        .intervalBiFunction(delay)
        .retryOnException(error -> error instanceof ProviderException failure
            && failure.failureClass().retryable())
        .writableStackTraceEnabled(false)
        .build());
  }

  /**
   * The events of the job attempt's provider calls, in order, ending like one adapter stream: completed
   * after a {@code Finished}, or failed with a {@link ProviderFailure} (or an unexpected exception). Cold;
   * cancelling it cancels the call in progress or the wait before the next.
   */
  public Flux<ProviderEvent> stream(CallPlan plan, CallListener listener) {
    return Flux.defer(() -> {
      Attempts attempts = plan(plan, listener);
      return call(attempts, attempts.first(), 1);
    });
  }

  private Attempts plan(CallPlan plan, CallListener listener) {
    List<ProviderAdapter> candidates;
    boolean fallback;
    if (plan.provider() != null) {
      Optional<ProviderAdapter> named = ProviderId.fromWireName(plan.provider()).flatMap(providers::find);
      if (named.isEmpty()) {
        throw ProviderFailure.notConfigured(ProviderId.fromWireName(plan.provider()).map(ProviderId::wireName)
            .orElse(null));
      }
      if (plan.model() != null && !named.get().accepts(plan.model())) {
        throw ProviderFailure.modelRefused(named.get().id().wireName(),
            "the model is not served on provider " + named.get().id());
      }
      candidates = List.of(named.get());
      fallback = false;
    } else {
      List<ProviderAdapter> configured = providers.inFallbackOrder();
      if (configured.isEmpty()) {
        throw ProviderFailure.notConfigured(null);
      }
      if (plan.model() != null) {
        candidates = configured.stream().filter(adapter -> adapter.accepts(plan.model())).toList();
        if (candidates.isEmpty()) {
          throw ProviderFailure.modelRefused(null, "no configured provider serves the model");
        }
      } else {
        candidates = configured;
      }
      fallback = plan.model() == null;
    }
    List<ProviderAdapter> closed = candidates.stream().filter(adapter -> !circuits.isOpen(adapter.id())).toList();
    if (closed.isEmpty()) {
      ProviderAdapter first = candidates.get(0);
      Duration wait = candidates.stream().map(adapter -> circuits.retryAfter(adapter.id())).min(Duration::compareTo)
          .orElseThrow();
      throw ProviderFailure.circuitOpen(first.id(), wait);
    }
    if (!clock.instant().isBefore(plan.deadline())) {
      throw ProviderFailure.deadlinePassed(closed.get(0).id().wireName());
    }
    // a named model stays with the provider chosen for it; otherwise every closed candidate is a fallback
    return new Attempts(plan, listener, fallback ? closed : List.of(closed.get(0)), retry.asyncContext());
  }

  private Flux<ProviderEvent> call(Attempts attempts, ProviderAdapter adapter, int providerAttempt) {
    CircuitBreaker breaker = circuits.breaker(adapter.id());
    if (!breaker.tryAcquirePermission()) {
      // opened (or half-open with its probes taken) since the plan was made
      Optional<ProviderAdapter> next = attempts.after(adapter);
      return next.isPresent()
          ? call(attempts, next.get(), providerAttempt)
          : Flux.error(ProviderFailure.circuitOpen(adapter.id(), circuits.retryAfter(adapter.id())));
    }
    ProviderRequest request = attempts.listener().starting(adapter, providerAttempt);
    long started = breaker.getCurrentTimestamp();
    return adapter.stream(request)
        .contextWrite(RequestSent.notify(attempts.listener()::sent))
        .doOnComplete(() -> {
          breaker.onSuccess(breaker.getCurrentTimestamp() - started, breaker.getTimestampUnit());
          attempts.retry().onComplete();
        })
        .doOnCancel(breaker::releasePermission)
        .onErrorResume(error -> {
          breaker.onError(breaker.getCurrentTimestamp() - started, breaker.getTimestampUnit(), error);
          return afterFailure(attempts, adapter, providerAttempt, error);
        });
  }

  private Flux<ProviderEvent> afterFailure(Attempts attempts, ProviderAdapter adapter, int providerAttempt,
      Throwable error) {
    if (!(error instanceof ProviderException failure)) {
      return Flux.error(error); // a bug, not a provider answer: nothing to retry
    }
    ProviderFailure end = ProviderFailure.of(adapter.id(), failure);
    if (!failure.failureClass().retryable() || attempts.listener().answerStarted()) {
      return Flux.error(end);
    }
    long backoff = attempts.retry().onError(failure);
    if (backoff < 0) {
      return Flux.error(end); // attempts used up
    }
    Optional<ProviderAdapter> other = attempts.after(adapter);
    ProviderAdapter next = other.orElse(adapter);
    // another provider has its own limits: no reason to wait for this one's
    Duration delay = other.isPresent() ? Duration.ZERO : Duration.ofMillis(backoff);
    Duration left = Duration.between(clock.instant(), attempts.plan().deadline());
    if (delay.compareTo(left) >= 0) {
      return Flux.error(end);
    }
    log.info("provider {} failed ({}); call {} goes to {} in {} ms", adapter.id(), failure.failureClass(),
        providerAttempt + 1, next.id(), delay.toMillis());
    attempts.listener().retrying(adapter, providerAttempt, failure);
    return Mono.delay(delay).thenMany(Flux.defer(() -> call(attempts, next, providerAttempt + 1)));
  }

  /** One job attempt's planned providers, in order, and its retry bookkeeping. */
  private record Attempts(CallPlan plan, CallListener listener, List<ProviderAdapter> candidates,
      Retry.AsyncContext<Object> retry) {

    ProviderAdapter first() {
      return candidates.get(0);
    }

    /** The next planned provider after this one (only a job without provider and model has several). */
    Optional<ProviderAdapter> after(ProviderAdapter adapter) {
      int index = candidates.indexOf(adapter);
      return index >= 0 && index + 1 < candidates.size() ? Optional.of(candidates.get(index + 1)) : Optional.empty();
    }
  }
}
