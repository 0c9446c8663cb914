package ai.gateway.api.access;

import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Resolves the caller of a request. Until authentication lands every request is the development user
 * ({@link DevelopmentIdentity}); the authentication issue replaces the implementation, not the callers.
 * An implementation that rejects a request errors with an {@code ApiException} (401 or 403).
 */
public interface CallerIdentity {

  Mono<Caller> resolve(ServerWebExchange exchange);
}
