package ai.gateway.api.access;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.util.MultiValueMap;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Reads the one credential of a request: {@code Authorization: Bearer <JWT or API key>} and nothing else.
 * <ul>
 *   <li>A credential in the query string is refused (401) even next to a valid header: URLs end up in
 *       proxy logs, browser history and referrers, so the key must be treated as leaked and the client fixed.
 *       The value is never logged or echoed.</li>
 *   <li>More than one credential (two {@code Authorization} headers, or one plus an {@code X-API-Key}-style
 *       header) is a 400: a request acts for exactly one principal, and picking one of two silently is how a
 *       caller ends up acting as someone else.</li>
 *   <li>Another scheme ({@code Basic}) or a token with characters RFC 6750 does not allow is a 401.</li>
 * </ul>
 */
final class BearerCredentials implements ServerAuthenticationConverter {

  private static final Pattern BEARER = Pattern.compile("^Bearer (?<token>[A-Za-z0-9._~+/-]+=*)$", Pattern.CASE_INSENSITIVE);
  private static final Pattern JWT_SHAPE = Pattern.compile("eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*\\..*");
  private static final Set<String> CREDENTIAL_PARAMETERS = Set.of("access_token", "api_key", "apikey", "api-key", "key",
      "token", "jwt", "auth", "authorization", "bearer", "x-api-key", "id_token");
  private static final List<String> OTHER_CREDENTIAL_HEADERS = List.of("X-API-Key", "Api-Key", "X-Auth-Token");

  /** A credential in the URL. */
  static final class CredentialsInUrlException extends AuthenticationException {
    CredentialsInUrlException() {
      super("credentials in the query string");
    }
  }

  /** An {@code Authorization} scheme other than Bearer. */
  static final class UnsupportedSchemeException extends AuthenticationException {
    UnsupportedSchemeException() {
      super("unsupported authorization scheme");
    }
  }

  @Override
  public Mono<Authentication> convert(ServerWebExchange exchange) {
    ServerHttpRequest request = exchange.getRequest();
    if (credentialsInUrl(request.getQueryParams())) {
      return Mono.error(new CredentialsInUrlException());
    }
    HttpHeaders headers = request.getHeaders();
    List<String> authorization = headers.getOrEmpty(HttpHeaders.AUTHORIZATION);
    long others = OTHER_CREDENTIAL_HEADERS.stream().filter(headers::containsHeader).count();
    if (authorization.size() + others > 1) {
      return Mono.error(ApiError.of(ErrorCode.INVALID_REQUEST,
          "Send exactly one credential: a single Authorization header, and no other credential header.").exception());
    }
    if (authorization.isEmpty()) {
      return Mono.empty();
    }
    String value = authorization.get(0);
    if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Mono.error(new UnsupportedSchemeException());
    }
    var matcher = BEARER.matcher(value);
    if (!matcher.matches()) {
      return Mono.error(new InvalidBearerTokenException("malformed bearer token"));
    }
    return Mono.just(new BearerTokenAuthenticationToken(matcher.group("token")));
  }

  static boolean credentialsInUrl(MultiValueMap<String, String> query) {
    for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
      if (CREDENTIAL_PARAMETERS.contains(parameter.getKey().toLowerCase(Locale.ROOT))) {
        return true;
      }
      for (String value : parameter.getValue()) {
        if (value != null && (value.startsWith(ApiKeys.PREFIX) || JWT_SHAPE.matcher(value).matches())) {
          return true;
        }
      }
    }
    return false;
  }
}
