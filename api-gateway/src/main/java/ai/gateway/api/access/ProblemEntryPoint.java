package ai.gateway.api.access;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import org.springframework.http.HttpHeaders;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Turns Spring Security's refusals into the gateway's 401 problem: the {@code WWW-Authenticate} challenge of
 * RFC 6750 on the response, and an {@code UNAUTHENTICATED} error that the one problem handler renders (so
 * the body, request id and metrics are the same as for every other error). The detail is fixed text per
 * reason; the exception's own message, which may describe the token, is never shown.
 */
final class ProblemEntryPoint implements ServerAuthenticationEntryPoint, ServerAccessDeniedHandler {

  static final String MISSING = "Authentication is required: send Authorization: Bearer with a JWT or an API key.";
  static final String INVALID = "The bearer token or API key is invalid, expired or revoked.";
  static final String IN_URL = "Credentials are not accepted in the URL; send them in the Authorization header.";
  static final String SCHEME = "Only Bearer credentials are accepted.";
  static final String DISABLED = "The account is disabled.";
  static final String REALM = "Bearer realm=\"ai-gateway\"";

  @Override
  public Mono<Void> commence(ServerWebExchange exchange, AuthenticationException failure) {
    String detail;
    String challenge;
    if (failure instanceof BearerCredentials.CredentialsInUrlException) {
      detail = IN_URL;
      challenge = REALM + ", error=\"invalid_request\"";
    } else if (failure instanceof BearerCredentials.UnsupportedSchemeException) {
      detail = SCHEME;
      challenge = REALM;
    } else if (failure instanceof DisabledException) {
      detail = DISABLED;
      challenge = REALM + ", error=\"invalid_token\"";
    } else if (presentedToken(exchange)) {
      detail = INVALID;
      challenge = REALM + ", error=\"invalid_token\"";
    } else {
      detail = MISSING;
      challenge = REALM;
    }
    exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, challenge);
    return Mono.error(ApiError.of(ErrorCode.UNAUTHENTICATED, detail).exception());
  }

  /** Every path is either anonymous or needs only authentication, so a denial means "not authenticated". */
  @Override
  public Mono<Void> handle(ServerWebExchange exchange, AccessDeniedException denied) {
    exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, REALM);
    return Mono.error(ApiError.of(ErrorCode.UNAUTHENTICATED, MISSING).exception());
  }

  private static boolean presentedToken(ServerWebExchange exchange) {
    return exchange.getRequest().getHeaders().containsHeader(HttpHeaders.AUTHORIZATION);
  }
}
