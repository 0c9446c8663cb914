package ai.gateway.api.access;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import javax.crypto.spec.SecretKeySpec;

import ai.gateway.api.config.GatewayProperties;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusReactiveJwtDecoder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Builds the JWT decoder from configuration. The algorithm comes from here, never from the token: HS256
 * with the shared secret, or the one configured asymmetric algorithm with the issuer's JWK set. So
 * {@code alg: none}, an HS256 token "signed" with an RSA public key, and any algorithm but the configured
 * one fail verification (RFC 8725 §3.1–3.2); a {@code crit} header Nimbus does not know fails it too.
 * The claims: {@code exp} required and, like {@code nbf}, checked with the configured leeway (≤ 60 s);
 * {@code iss} equal to the configured issuer; the configured audience in {@code aud}; a {@code sub} that is
 * a valid user id.
 */
final class JwtDecoders {

  private JwtDecoders() {
  }

  static ReactiveJwtDecoder create(GatewayProperties.Jwt jwt, WebClient.Builder web) {
    NimbusReactiveJwtDecoder decoder;
    if (jwt.secret() != null) {
      decoder = NimbusReactiveJwtDecoder.withSecretKey(new SecretKeySpec(jwt.secret().bytes(), "HmacSHA256"))
          .macAlgorithm(MacAlgorithm.HS256)
          .build();
    } else if (jwt.jwkSetUri() != null) {
      return withJwkSource(new RefetchLimitedJwkSource(web.build(), jwt.jwkSetUri(), jwt.jwkSetRefetch(), jwt.jwkSetMaxAge()), jwt);
    } else {
      throw new IllegalStateException("neither gateway.auth.jwt.secret nor gateway.auth.jwt.jwk-set-uri is set");
    }
    decoder.setJwtValidator(validator(jwt));
    return decoder;
  }

  static ReactiveJwtDecoder withJwkSource(RefetchLimitedJwkSource keys, GatewayProperties.Jwt jwt) {
    NimbusReactiveJwtDecoder decoder = NimbusReactiveJwtDecoder.withJwkSource(keys)
        .jwsAlgorithm(SignatureAlgorithm.from(jwt.jwkSetAlgorithm()))
        .build();
    decoder.setJwtValidator(validator(jwt));
    return decoder;
  }

  static OAuth2TokenValidator<Jwt> validator(GatewayProperties.Jwt jwt) {
    String audience = jwt.audience();
    return new DelegatingOAuth2TokenValidator<>(List.of(
        new JwtTimestampValidator(jwt.leeway()),
        new JwtClaimValidator<Instant>(JwtClaimNames.EXP, Objects::nonNull),
        new JwtIssuerValidator(jwt.issuer()),
        new JwtClaimValidator<List<String>>(JwtClaimNames.AUD, aud -> aud != null && aud.contains(audience)),
        new JwtClaimValidator<String>(JwtClaimNames.SUB, sub -> sub != null && UserIds.isValid(sub))));
  }
}
