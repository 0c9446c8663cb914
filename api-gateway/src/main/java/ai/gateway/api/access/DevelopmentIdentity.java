package ai.gateway.api.access;

import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** Every request is {@code gateway.dev-user-id}: a stand-in until authentication lands. */
final class DevelopmentIdentity implements CallerIdentity {

  private final Mono<Caller> caller;

  DevelopmentIdentity(String userId) {
    this.caller = Mono.just(new Caller(userId));
  }

  @Override
  public Mono<Caller> resolve(ServerWebExchange exchange) {
    return caller;
  }
}
