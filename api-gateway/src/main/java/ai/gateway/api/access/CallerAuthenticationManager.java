package ai.gateway.api.access;

import ai.gateway.api.access.PostgresAccounts.UserAccess;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import reactor.core.publisher.Mono;

/**
 * Authenticates the bearer token of a {@code /v1} request. A token starting {@code aig_} is an API key,
 * looked up by its hash; anything else must be a JWT that the configured decoder accepts (signature with the
 * server-side algorithm, {@code exp}/{@code nbf} within the leeway, issuer, audience, a well-formed
 * {@code sub}). Either way the result is the user's {@link Caller} with the entitlements of their plan; a
 * JWT {@code sub} without a user row is a caller without entitlements, a disabled user is refused.
 */
final class CallerAuthenticationManager implements ReactiveAuthenticationManager {

  private final ReactiveJwtDecoder jwts;
  private final AccessCache cache;

  CallerAuthenticationManager(ReactiveJwtDecoder jwts, AccessCache cache) {
    this.jwts = jwts;
    this.cache = cache;
  }

  @Override
  public Mono<Authentication> authenticate(Authentication authentication) {
    if (!(authentication instanceof BearerTokenAuthenticationToken bearer)) {
      return Mono.empty();
    }
    String token = bearer.getToken();
    if (ApiKeys.looksLikeKey(token)) {
      return keyOwner(token).flatMap(userId -> caller(userId, CallerAuthentication.Method.API_KEY));
    }
    return subject(token).flatMap(userId -> caller(userId, CallerAuthentication.Method.JWT));
  }

  private Mono<String> keyOwner(String key) {
    if (!ApiKeys.isWellFormed(key)) {
      return Mono.error(new BadCredentialsException("malformed API key"));
    }
    return cache.keyOwner(ApiKeys.hash(key))
        .flatMap(owner -> owner.map(o -> Mono.just(o.userId()))
            .orElseGet(() -> Mono.error(new BadCredentialsException("unknown or revoked API key"))));
  }

  private Mono<String> subject(String token) {
    return jwts.decode(token)
        .map(Jwt::getSubject)
        .onErrorMap(JwtException.class, e -> new InvalidBearerTokenException("invalid JWT", e))
        // The JWK source could not get the issuer's keys: not the caller's fault, and not a reason to let them in.
        .onErrorMap(IllegalStateException.class, e -> ApiError.of(ErrorCode.UNAVAILABLE,
            "The token issuer's keys cannot be fetched; try again later.").exception(e));
  }

  private Mono<Authentication> caller(String userId, CallerAuthentication.Method method) {
    return cache.user(userId).map(access -> authenticated(access, method));
  }

  private static Authentication authenticated(UserAccess access, CallerAuthentication.Method method) {
    if (access.disabled()) {
      throw new DisabledException("user disabled");
    }
    return new CallerAuthentication(new Caller(access.userId(), access.entitlements()), method);
  }
}
