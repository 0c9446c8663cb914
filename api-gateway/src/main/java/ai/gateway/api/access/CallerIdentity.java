package ai.gateway.api.access;

import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Resolves the caller of a request: the principal Spring Security authenticated (a JWT's {@code sub} or an
 * API key's owner), with their entitlements. Handlers of {@code /v1} routes that need to know who calls
 * use this; handlers that create work go through {@link WorkAdmission}, which also checks the entitlement
 * and the limits. Errors with an {@code ApiException} 401 if the request is not authenticated.
 */
public interface CallerIdentity {

  Mono<Caller> resolve(ServerWebExchange exchange);
}
