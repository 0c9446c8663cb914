package ai.gateway.api.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.Secret;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class CredentialsCheckTest {

  private static final String REAL_SECRET = "a-real-secret-of-more-than-thirty-two-bytes";
  private static final String REAL_TOKEN = "a-real-admin-token-0123";

  @Test
  void shouldRefuseToStartWithoutCredentialsOutsideDevelopment() {
    assertThatThrownBy(() -> CredentialsCheck.verify(auth(null, null), admin(null), callbacks(null), false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("refuses to start")
        .hasMessageContaining("GATEWAY_AUTH_JWT_SECRET")
        .hasMessageContaining("GATEWAY_ADMIN_TOKEN");
  }

  @Test
  void shouldRefuseTheDevelopmentValuesOutsideTheLocalAndTestProfiles() {
    assertThat(CredentialsCheck.problems(auth(CredentialsCheck.DEVELOPMENT_JWT_SECRET, null),
        admin(CredentialsCheck.DEVELOPMENT_ADMIN_TOKEN), false))
        .hasSize(2)
        .allSatisfy(problem -> assertThat(problem).contains("works only in the local and test profiles"));
    assertThat(CredentialsCheck.problems(auth(CredentialsCheck.DEVELOPMENT_JWT_SECRET, null),
        admin(CredentialsCheck.DEVELOPMENT_ADMIN_TOKEN), true)).isEmpty();
  }

  @Test
  void shouldAcceptRealCredentialsAndRefuseWeakOrAmbiguousOnes() {
    assertThat(CredentialsCheck.problems(auth(REAL_SECRET, null), admin(REAL_TOKEN), false)).isEmpty();
    assertThat(CredentialsCheck.problems(auth(null, "https://issuer.example/jwks"), admin(REAL_TOKEN), false)).isEmpty();
    assertThat(CredentialsCheck.problems(auth("short", null), admin("short"), false))
        .anySatisfy(problem -> assertThat(problem).contains("at least 32 bytes"))
        .anySatisfy(problem -> assertThat(problem).contains("at least 16 characters"));
    assertThat(CredentialsCheck.problems(auth(REAL_SECRET, "https://issuer.example/jwks"), admin(REAL_TOKEN), false))
        .singleElement().asString().contains("only one of");
  }

  @Test
  void shouldMatchTheDevelopmentValuesOfTheProfiles() throws Exception {
    for (String profile : new String[] {"application-local.yml", "application-test.yml"}) {
      String yaml = Files.readString(Path.of("src/main/resources", profile), StandardCharsets.UTF_8);
      assertThat(yaml).contains("secret: " + CredentialsCheck.DEVELOPMENT_JWT_SECRET)
          .contains("token: " + CredentialsCheck.DEVELOPMENT_ADMIN_TOKEN);
    }
    String defaults = Files.readString(Path.of("src/main/resources/application.yml"), StandardCharsets.UTF_8);
    assertThat(defaults).doesNotContain(CredentialsCheck.DEVELOPMENT_JWT_SECRET, CredentialsCheck.DEVELOPMENT_ADMIN_TOKEN);
  }

  @Test
  void shouldNeverPrintASecret() {
    assertThat(new Secret(REAL_SECRET)).hasToString("****");
    assertThat(auth(REAL_SECRET, null).toString()).doesNotContain(REAL_SECRET);
  }

  private static GatewayProperties.Auth auth(@Nullable String secret, @Nullable String jwkSetUri) {
    return new GatewayProperties.Auth(Duration.ofSeconds(30), Duration.ofSeconds(3), new GatewayProperties.Jwt(
        secret == null ? null : new Secret(secret), jwkSetUri == null ? null : URI.create(jwkSetUri), "RS256",
        Duration.ofSeconds(30), Duration.ofMinutes(5), "ai-gateway", "ai-gateway", Duration.ofSeconds(60)));
  }

  private static GatewayProperties.Admin admin(@Nullable String token) {
    return new GatewayProperties.Admin(token == null ? null : new Secret(token));
  }

  @Test
  void shouldRefuseAMissingMalformedOrDevelopmentCallbackSecretOutsideDevelopment() {
    assertThat(CredentialsCheck.callbackProblems(callbacks(null), false))
        .singleElement().asString().contains("GATEWAY_CALLBACKS_SIGNINGSECRET");
    assertThat(CredentialsCheck.callbackProblems(callbacks("not-a-whsec"), false))
        .singleElement().asString().contains("whsec_");
    assertThat(CredentialsCheck.callbackProblems(callbacks("whsec_c2hvcnQ="), false))
        .singleElement().asString().contains("24 to 64 bytes");
    assertThat(CredentialsCheck.callbackProblems(callbacks(CredentialsCheck.DEVELOPMENT_CALLBACK_SECRET), false))
        .singleElement().asString().contains("development secret");
    assertThat(CredentialsCheck.callbackProblems(callbacks(CredentialsCheck.DEVELOPMENT_CALLBACK_SECRET), true)).isEmpty();
    assertThat(CredentialsCheck.callbackProblems(callbacks("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), false)).isEmpty();
  }

  private static GatewayProperties.Callbacks callbacks(@Nullable String secret) {
    return new GatewayProperties.Callbacks(secret == null ? null : new Secret(secret), java.util.List.of(), "g",
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), org.springframework.util.unit.DataSize.ofKilobytes(64),
        3, Duration.ofSeconds(1), 2, Duration.ofSeconds(2), Duration.ofHours(24));
  }
}
