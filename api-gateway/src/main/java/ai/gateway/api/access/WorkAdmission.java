package ai.gateway.api.access;

import java.time.Duration;
import java.util.function.Function;
import java.util.function.Supplier;

import ai.gateway.api.config.GatewayProperties.RateLimit.Window;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.ratelimit.RateLimitDecision;
import ai.gateway.api.ratelimit.RateLimiter;
import org.jspecify.annotations.Nullable;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The one way into creating work (a generate call, a stream; later jobs and batches), in the design's order
 * so that a rejected request costs nothing:
 * <ol>
 *   <li>authentication (the caller, or 401),</li>
 *   <li>the {@code ai_access} entitlement (or 403 {@code ENTITLEMENT_REQUIRED}),</li>
 *   <li>validation (the handler's own, given the caller; 400/413/415),</li>
 *   <li>for streams, a free stream slot (or 429),</li>
 *   <li>the rate limit (or 429 {@code RATE_LIMITED} with {@code Retry-After}) — counted only here, last.</li>
 * </ol>
 * The result is an {@link Admitted}, which is what the job dispatcher requires.
 */
public final class WorkAdmission {

  static final String ENTITLEMENT_DETAIL = "AI access requires Pro subscription";

  private final CallerIdentity identity;
  private final RateLimiter limiter;
  private final StreamSlots slots;

  WorkAdmission(CallerIdentity identity, RateLimiter limiter, StreamSlots slots) {
    this.identity = identity;
    this.limiter = limiter;
    this.slots = slots;
  }

  /** For work answered once (sync generate, async job, batch). */
  public <T> Mono<Admitted<T>> admit(ServerWebExchange exchange, Function<Caller, Mono<T>> validation) {
    return entitledCaller(exchange)
        .flatMap(caller -> validation.apply(caller)
            .flatMap(request -> countCreation(caller).thenReturn(new Admitted<>(caller, request))));
  }

  /**
   * For work answered as an event stream: also holds one of the caller's stream slots from before the rate
   * limit is counted until the returned stream ends, however it ends.
   */
  public <T, R> Flux<R> admitStream(ServerWebExchange exchange, Function<Caller, Mono<T>> validation,
                                    Function<Admitted<T>, Flux<R>> stream) {
    return entitledCaller(exchange)
        .flatMap(caller -> validation.apply(caller).map(request -> new Admitted<>(caller, request)))
        .flatMapMany(admitted -> holdStreamSlot(admitted.caller(),
            () -> countCreation(admitted.caller()).thenMany(Flux.defer(() -> stream.apply(admitted)))));
  }

  /**
   * For an event stream of work the caller already created ({@code GET /v1/jobs/{id}/events}): holds one of the
   * caller's stream slots (or 429 {@code RATE_LIMITED}) until the stream ends, however it ends. Creates no work,
   * so nothing is counted against the rate limit.
   */
  public <R> Flux<R> holdStreamSlot(Caller caller, Supplier<Flux<R>> stream) {
    return Flux.using(() -> slots.take(caller.userId()), slot -> Flux.defer(stream), StreamSlots.Slot::close);
  }

  private Mono<Caller> entitledCaller(ServerWebExchange exchange) {
    return identity.resolve(exchange).flatMap(caller -> caller.entitledTo(Caller.AI_ACCESS) ? Mono.just(caller)
        : Mono.error(ApiError.of(ErrorCode.ENTITLEMENT_REQUIRED, ENTITLEMENT_DETAIL).exception()));
  }

  private Mono<Void> countCreation(Caller caller) {
    return limiter.tryAcquire(caller.userId()).flatMap(decision -> decision.admitted() ? Mono.empty()
        : Mono.error(ApiError.of(ErrorCode.RATE_LIMITED, describe(decision))
            .withRetryAfter(decision.retryAfter()).exception()));
  }

  private static String describe(RateLimitDecision decision) {
    Window window = decision.limitedBy();
    return window == null ? "Too many requests; try again later."
        : "Too many requests: at most " + window.limit() + " per " + describe(window.period()) + ".";
  }

  static String describe(@Nullable Duration period) {
    if (period == null) {
      return "period";
    }
    long seconds = period.toSeconds();
    if (period.toMillis() % 1000 != 0) {
      return period.toMillis() + " ms";
    }
    if (seconds % 3600 == 0) {
      return seconds == 3600 ? "hour" : seconds / 3600 + " hours";
    }
    if (seconds % 60 == 0) {
      return seconds == 60 ? "minute" : seconds / 60 + " minutes";
    }
    return seconds == 1 ? "second" : seconds + " seconds";
  }
}
