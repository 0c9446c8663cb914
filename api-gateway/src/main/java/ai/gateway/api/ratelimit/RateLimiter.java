package ai.gateway.api.ratelimit;

import reactor.core.publisher.Mono;

/**
 * Counts creations of work per user against every configured window at once.
 *
 * <p>{@link #tryAcquire} admits a creation only if each window has room, and then records it in all of
 * them; a rejected creation is recorded nowhere. A store that cannot answer fails the {@code Mono} with an
 * {@code ApiException} {@code UNAVAILABLE} (503): the gateway fails closed, never unlimited.
 */
public interface RateLimiter {

  Mono<RateLimitDecision> tryAcquire(String userId);
}
