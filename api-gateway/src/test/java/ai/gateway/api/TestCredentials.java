package ai.gateway.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.function.Consumer;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * How tests authenticate against a gateway in the {@code test} profile: its development admin token and
 * JWT secret (application-test.yml), JWTs signed with that secret, and users and keys made through the
 * admin API.
 */
public final class TestCredentials {

  public static final String ADMIN_TOKEN = "local-admin-token";
  public static final String JWT_SECRET = "local-development-jwt-secret-do-not-use-in-production";
  public static final String ISSUER = "ai-gateway";
  public static final String AUDIENCE = "ai-gateway";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private TestCredentials() {
  }

  /** A valid HS256 JWT for {@code sub}, expiring in ten minutes. */
  public static String jwt(String subject) {
    return jwt(subject, claims -> { });
  }

  /** A JWT for {@code sub} with the standard claims, then changed by {@code customizer}. */
  public static String jwt(String subject, Consumer<JWTClaimsSet.Builder> customizer) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .subject(subject)
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))));
    customizer.accept(claims);
    return sign(new JWSHeader(JWSAlgorithm.HS256), claims.build(), JWT_SECRET.getBytes());
  }

  public static String sign(JWSHeader header, JWTClaimsSet claims, byte[] secret) {
    try {
      SignedJWT jwt = new SignedJWT(header, claims);
      jwt.sign(new MACSigner(secret));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Creates (or updates) a user through the admin API. */
  public static void createUser(WebTestClient client, String userId, String plan) {
    client.post().uri("/admin/users")
        .header("Authorization", "Bearer " + ADMIN_TOKEN)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("id", userId, "plan", plan))
        .exchange()
        .expectStatus().value(status -> {
          if (status != HttpStatus.CREATED.value() && status != HttpStatus.OK.value()) {
            throw new AssertionError("creating user " + userId + " answered " + status);
          }
        });
  }

  public static void setPlan(WebTestClient client, String userId, String plan) {
    client.put().uri("/admin/users/{id}/plan", userId)
        .header("Authorization", "Bearer " + ADMIN_TOKEN)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("plan", plan))
        .exchange()
        .expectStatus().isOk();
  }

  /** A new API key of the user: {@code {id, key}}. */
  public static NewKey createKey(WebTestClient client, String userId) {
    byte[] body = client.post().uri("/admin/users/{id}/api-keys", userId)
        .header("Authorization", "Bearer " + ADMIN_TOKEN)
        .exchange()
        .expectStatus().isCreated()
        .expectBody().returnResult().getResponseBodyContent();
    JsonNode node = JSON.readTree(body);
    return new NewKey(node.get("id").asString(), node.get("key").asString());
  }

  public static void revokeKey(WebTestClient client, String keyId) {
    client.delete().uri("/admin/api-keys/{id}", keyId)
        .header("Authorization", "Bearer " + ADMIN_TOKEN)
        .exchange()
        .expectStatus().isNoContent();
  }

  public record NewKey(String id, String key) {
  }
}
