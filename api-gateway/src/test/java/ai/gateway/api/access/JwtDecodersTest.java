package ai.gateway.api.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import ai.gateway.api.TestCredentials;
import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.Secret;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** ATTACKS rows 10–12 at the decoder: what a token must satisfy, with the algorithm fixed server-side. */
class JwtDecodersTest {

  private final ReactiveJwtDecoder hs256 = JwtDecoders.create(jwt(TestCredentials.JWT_SECRET, null), WebClient.builder());
  private @Nullable HttpServer jwks;

  @AfterEach
  void stopJwks() {
    if (jwks != null) {
      jwks.stop(0);
    }
  }

  @Test
  void shouldAcceptAValidTokenAndExpiryOrNotBeforeWithinTheLeeway() {
    assertAccepted(hs256, TestCredentials.jwt("user-1"), "user-1");
    assertAccepted(hs256, TestCredentials.jwt("user-1", c -> c.issueTime(ago(600)).expirationTime(ago(30))), "user-1");
    assertAccepted(hs256, TestCredentials.jwt("auth0|5f7c8ec7", c -> c.notBeforeTime(inSeconds(30))), "auth0|5f7c8ec7");
  }

  @Test
  void shouldRejectExpiredNotYetValidWrongIssuerOrAudienceAndMissingClaims() {
    assertRejected(hs256, TestCredentials.jwt("user-1", c -> c.issueTime(ago(600)).expirationTime(ago(61))));
    assertRejected(hs256, TestCredentials.jwt("user-1", c -> c.notBeforeTime(inSeconds(120))));
    assertRejected(hs256, TestCredentials.jwt("user-1", c -> c.issuer("https://evil.example")));
    assertRejected(hs256, TestCredentials.jwt("user-1", c -> c.issuer(null)));
    assertRejected(hs256, TestCredentials.jwt("user-1", c -> c.audience("another-service")));
    assertRejected(hs256, TestCredentials.jwt("user-1", c -> c.audience((String) null)));
    assertRejected(hs256, TestCredentials.jwt("user-1", c -> c.expirationTime(null)));
    assertRejected(hs256, TestCredentials.jwt("user-1", c -> c.subject(null)));
    assertRejected(hs256, TestCredentials.jwt("user\r\nFAKE LOG LINE", c -> { }));
  }

  @Test
  void shouldRejectForgedSignaturesAndAlgorithmsOtherThanTheConfiguredOne() throws Exception {
    JWTClaimsSet claims = claims("user-1");
    // signed with another secret
    assertRejected(hs256, TestCredentials.sign(new JWSHeader(JWSAlgorithm.HS256), claims,
        "another-secret-that-is-long-enough-for-hs256".getBytes(StandardCharsets.UTF_8)));
    // the right secret, but HS512: the algorithm is fixed server-side
    assertRejected(hs256, TestCredentials.sign(new JWSHeader(JWSAlgorithm.HS512), claims,
        (TestCredentials.JWT_SECRET + TestCredentials.JWT_SECRET).getBytes(StandardCharsets.UTF_8)));
    // alg: none
    assertRejected(hs256, unsigned(claims));
    // RS256 where HS256 is configured
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    assertRejected(hs256, rsaSigned(rsa, claims, "k1"));
    // a critical header nobody here understands
    JWSHeader crit = new JWSHeader.Builder(JWSAlgorithm.HS256).criticalParams(Set.of("x-unknown")).customParam("x-unknown", 1).build();
    assertRejected(hs256, TestCredentials.sign(crit, claims, TestCredentials.JWT_SECRET.getBytes(StandardCharsets.UTF_8)));
    // garbage
    assertRejected(hs256, "not.a.jwt");
  }

  @Test
  void shouldVerifyWithTheIssuersKeysAndRejectHs256SignedWithItsPublicKey() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    RefetchLimitedJwkSource keys = serveJwks(new AtomicReference<>(new JWKSet(rsa.toPublicJWK())), Duration.ofSeconds(30));
    ReactiveJwtDecoder decoder = JwtDecoders.withJwkSource(keys, jwt(null, jwksUri()));
    JWTClaimsSet claims = claims("user-1");

    assertAccepted(decoder, rsaSigned(rsa, claims, "k1"), "user-1");
    // the RFC 8725 §3.1 confusion: HMAC keyed with the RSA public key
    byte[] publicKey = rsa.toRSAPublicKey().getEncoded();
    assertRejected(decoder, TestCredentials.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims, publicKey));
    assertRejected(decoder, TestCredentials.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(), claims,
        Base64.getEncoder().encode(publicKey)));
    assertRejected(decoder, unsigned(claims));
    assertThat(keys.fetches()).isEqualTo(1);
  }

  @Test
  void shouldNotFetchTheKeysAgainForEveryUnknownKid() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    RefetchLimitedJwkSource keys = serveJwks(new AtomicReference<>(new JWKSet(rsa.toPublicJWK())), Duration.ofSeconds(30));
    ReactiveJwtDecoder decoder = JwtDecoders.withJwkSource(keys, jwt(null, jwksUri()));
    assertAccepted(decoder, rsaSigned(rsa, claims("user-1"), "k1"), "user-1");

    // a flood of tokens with random kids, and kids that look like paths or URLs
    RSAKey other = new RSAKeyGenerator(2048).generate();
    for (int i = 0; i < 50; i++) {
      assertRejected(decoder, rsaSigned(other, claims("user-1"), UUID.randomUUID().toString()));
    }
    assertRejected(decoder, rsaSigned(rsa, claims("user-1"), "../../../../etc/passwd"));
    assertRejected(decoder, rsaSigned(rsa, claims("user-1"), "https://evil.example/key.json"));

    assertThat(keys.fetches()).isEqualTo(1);
  }

  @Test
  void shouldPickUpARotatedKeyWithOneMoreFetch() throws Exception {
    RSAKey first = new RSAKeyGenerator(2048).keyID("k1").generate();
    RSAKey second = new RSAKeyGenerator(2048).keyID("k2").generate();
    AtomicReference<JWKSet> served = new AtomicReference<>(new JWKSet(first.toPublicJWK()));
    RefetchLimitedJwkSource keys = serveJwks(served, Duration.ofMillis(200));
    ReactiveJwtDecoder decoder = JwtDecoders.withJwkSource(keys, jwt(null, jwksUri()));
    assertAccepted(decoder, rsaSigned(first, claims("user-1"), "k1"), "user-1");

    served.set(new JWKSet(java.util.List.of(first.toPublicJWK(), second.toPublicJWK())));
    String rotated = rsaSigned(second, claims("user-2"), "k2");

    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
        .until(() -> decoder.decode(rotated).map(Jwt::getSubject).onErrorReturn("").block(Duration.ofSeconds(5)).equals("user-2"));
    assertThat(keys.fetches()).isBetween(2L, 3L);
  }

  @Test
  void shouldFailAsUnavailableNotAsInvalidWhenTheKeysCannotBeFetched() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
    RefetchLimitedJwkSource keys = new RefetchLimitedJwkSource(WebClient.create(), URI.create("http://127.0.0.1:9/jwks.json"),
        Duration.ofSeconds(30), Duration.ofMinutes(5));
    ReactiveJwtDecoder decoder = JwtDecoders.withJwkSource(keys, jwt(null, "http://127.0.0.1:9/jwks.json"));

    StepVerifier.create(decoder.decode(rsaSigned(rsa, claims("user-1"), "k1")))
        .expectError(IllegalStateException.class)
        .verify(Duration.ofSeconds(10));
  }

  // --- helpers

  private RefetchLimitedJwkSource serveJwks(AtomicReference<JWKSet> served, Duration minRefetch) throws IOException {
    jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    jwks.createContext("/jwks.json", exchange -> {
      byte[] body = served.get().toString().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    jwks.start();
    return new RefetchLimitedJwkSource(WebClient.create(), URI.create(jwksUri()), minRefetch, Duration.ofMinutes(5));
  }

  private String jwksUri() {
    return "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json";
  }

  private static GatewayProperties.Jwt jwt(@Nullable String secret, @Nullable String jwkSetUri) {
    return new GatewayProperties.Jwt(secret == null ? null : new Secret(secret), jwkSetUri == null ? null : URI.create(jwkSetUri),
        "RS256", Duration.ofSeconds(30), Duration.ofMinutes(5), TestCredentials.ISSUER, TestCredentials.AUDIENCE,
        Duration.ofSeconds(60));
  }

  private static JWTClaimsSet claims(String subject) {
    return new JWTClaimsSet.Builder().subject(subject).issuer(TestCredentials.ISSUER).audience(TestCredentials.AUDIENCE)
        .expirationTime(inSeconds(600)).build();
  }

  private static String rsaSigned(RSAKey key, JWTClaimsSet claims, String kid) throws JOSEException {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(), claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  private static String unsigned(JWTClaimsSet claims) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  private static Date ago(long seconds) {
    return Date.from(Instant.now().minusSeconds(seconds));
  }

  private static Date inSeconds(long seconds) {
    return Date.from(Instant.now().plusSeconds(seconds));
  }

  private static void assertAccepted(ReactiveJwtDecoder decoder, String token, String subject) {
    StepVerifier.create(decoder.decode(token).map(Jwt::getSubject)).expectNext(subject).verifyComplete();
  }

  private static void assertRejected(ReactiveJwtDecoder decoder, String token) {
    StepVerifier.create(Mono.defer(() -> decoder.decode(token)))
        .expectError(BadJwtException.class)
        .verify(Duration.ofSeconds(10));
  }

}
