package ai.gateway.api.access;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@link CallerIdentity} from the principal Spring Security put on the exchange. A handler reached without
 * one (a route outside the secured paths, by mistake) answers 401 rather than running as nobody.
 */
final class AuthenticatedIdentity implements CallerIdentity {

  @Override
  public Mono<Caller> resolve(ServerWebExchange exchange) {
    return exchange.getPrincipal()
        .filter(CallerAuthentication.class::isInstance)
        .map(principal -> ((CallerAuthentication) principal).caller())
        .switchIfEmpty(Mono.error(() -> ApiError.of(ErrorCode.UNAUTHENTICATED, ProblemEntryPoint.MISSING).exception()));
  }
}
