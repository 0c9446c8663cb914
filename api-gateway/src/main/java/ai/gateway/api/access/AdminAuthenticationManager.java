package ai.gateway.api.access;

import java.util.List;

import ai.gateway.api.config.Secret;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import reactor.core.publisher.Mono;

/** {@code /admin}: the bearer token must be {@code gateway.admin.token}, compared in constant time. Users' JWTs and keys do not work here. */
final class AdminAuthenticationManager implements ReactiveAuthenticationManager {

  private final Secret token;

  AdminAuthenticationManager(Secret token) {
    this.token = token;
  }

  @Override
  public Mono<Authentication> authenticate(Authentication authentication) {
    if (authentication instanceof BearerTokenAuthenticationToken bearer && token.matches(bearer.getToken())) {
      return Mono.just(UsernamePasswordAuthenticationToken.authenticated("admin", null,
          List.of(new SimpleGrantedAuthority("ROLE_ADMIN"))));
    }
    return Mono.error(new BadCredentialsException("wrong admin token"));
  }
}
