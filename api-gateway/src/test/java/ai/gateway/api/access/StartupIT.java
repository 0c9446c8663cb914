package ai.gateway.api.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.gateway.api.GatewayApplication;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.TestHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * How the gateway starts: the {@code local} profile seeds a Pro and a Free user and logs a working key for
 * each (and revokes the previous run's); any profile but {@code local} and {@code test} refuses to start
 * without real credentials, or with the development ones.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupIT {

  private static final Pattern SEEDED_KEY = Pattern.compile("(pro-user|free-user) +\\(plan \\w+ *\\) +Authorization: Bearer (aig_[A-Za-z0-9_-]{43})");
  private static final String INVALID_BODY = "{\"prompt\":\"hi\",\"maxTokens\":0}";
  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();
  private static EmbeddedKafkaKraftBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaKraftBroker(1, 1);
    broker.afterPropertiesSet();
  }

  @AfterAll
  static void stopBroker() {
    broker.destroy();
  }

  @Test
  void shouldSeedLocalUsersAndLogAWorkingKeyForEachInTheLocalProfile(CapturedOutput output) {
    Map<String, String> firstKeys;
    try (ConfigurableApplicationContext gateway = start(List.of("local"), Map.of())) {
      firstKeys = seededKeys(output.getAll());
      assertThat(firstKeys).containsOnlyKeys("pro-user", "free-user");
      // Pro: past the entitlement, stopped by validation (400); Free: stopped by the entitlement (403).
      probe(gateway, firstKeys.get("pro-user")).expectStatus().isBadRequest();
      probe(gateway, firstKeys.get("free-user")).expectStatus().isForbidden()
          .expectBody().jsonPath("$.code").isEqualTo("ENTITLEMENT_REQUIRED");
    }

    // a second start: the same users, new keys, the old ones revoked
    try (ConfigurableApplicationContext gateway = start(List.of("local"), Map.of())) {
      Map<String, String> secondKeys = seededKeys(output.getAll().substring(output.getAll().lastIndexOf("Local users")));
      assertThat(secondKeys.get("pro-user")).isNotEqualTo(firstKeys.get("pro-user"));
      probe(gateway, secondKeys.get("pro-user")).expectStatus().isBadRequest();
      probe(gateway, firstKeys.get("pro-user")).expectStatus().isUnauthorized();
    }

  }

  @Test
  void shouldRefuseToStartWithoutRealCredentialsOutsideTheLocalAndTestProfiles() {
    assertThatThrownBy(() -> start(List.of(), Map.of()).close())
        .hasStackTraceContaining("The gateway refuses to start without real credentials")
        .hasStackTraceContaining("GATEWAY_AUTH_JWT_SECRET")
        .hasStackTraceContaining("GATEWAY_ADMIN_TOKEN")
        .hasStackTraceContaining("GATEWAY_CALLBACKS_SIGNINGSECRET");
    assertThatThrownBy(() -> start(List.of("docker"), Map.of(
        "gateway.auth.jwt.secret", CredentialsCheck.DEVELOPMENT_JWT_SECRET,
        "gateway.admin.token", CredentialsCheck.DEVELOPMENT_ADMIN_TOKEN,
        // the docker profile's database and broker are not here; the check must stop the start before they matter
        "spring.kafka.bootstrap-servers", "127.0.0.1:1")).close())
        .hasStackTraceContaining("is the development secret, which works only in the local and test profiles")
        .hasStackTraceContaining("is the development token, which works only in the local and test profiles");
  }

  private static ConfigurableApplicationContext start(List<String> profiles, Map<String, String> extra) {
    List<String> args = new ArrayList<>(List.of(
        "--server.port=0",
        "--spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
        "--spring.r2dbc.url=" + DATABASE.r2dbcUrl(),
        "--spring.r2dbc.username=" + TestPostgres.USER,
        "--spring.r2dbc.password=" + TestPostgres.PASSWORD,
        "--spring.flyway.url=" + DATABASE.jdbcUrl(),
        "--spring.flyway.user=" + TestPostgres.USER,
        "--spring.flyway.password=" + TestPostgres.PASSWORD,
        "--gateway.kafka.ready-wait=15s",
        "--topics.partitions=1"));
    extra.forEach((key, value) -> args.add("--" + key + "=" + value));
    return new SpringApplicationBuilder(GatewayApplication.class)
        .profiles(profiles.toArray(String[]::new))
        .run(args.toArray(String[]::new));
  }

  private static Map<String, String> seededKeys(String log) {
    Map<String, String> keys = new java.util.HashMap<>();
    Matcher matcher = SEEDED_KEY.matcher(log);
    while (matcher.find()) {
      keys.put(matcher.group(1), matcher.group(2));
    }
    return keys;
  }

  private static WebTestClient.ResponseSpec probe(ConfigurableApplicationContext gateway, String key) {
    int port = ((WebServerApplicationContext) gateway).getWebServer().getPort();
    return TestHttp.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(10)).build()
        .post().uri("/v1/generate").header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(INVALID_BODY).exchange();
  }
}
