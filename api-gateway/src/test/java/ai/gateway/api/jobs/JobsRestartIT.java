package ai.gateway.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import ai.gateway.api.GatewayApplication;
import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.TestHttp;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Job state survives having no gateway at all: a job accepted by gateway A ends while no gateway runs, and
 * gateway B, started afterwards, shows its end (it reads {@code ai.job-status} from the group's committed
 * offsets) and resumes its event stream after the last event the client saw through A.
 */
class JobsRestartIT {

  private static final String USER = "jobs-restart-user";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static EmbeddedKafkaKraftBroker broker;
  private static TestPostgres.Database database;
  private static @Nullable AsyncTestWorker worker;
  private static @Nullable ConfigurableApplicationContext gateway;

  @BeforeAll
  static void start() {
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.afterPropertiesSet();
    database = TestPostgres.newDatabase();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (gateway != null) {
      gateway.close();
    }
    if (worker != null) {
      worker.close();
    }
    broker.destroy();
  }

  @Test
  void shouldShowTheEndOfAJobThatFinishedWhileNoGatewayRan() throws Exception {
    // given: gateway A accepted a job that is running, and a client saw its first event through A
    gateway = gateway("gw-jobs-a");
    WebTestClient a = client(gateway);
    TestCredentials.createUser(a, USER, "pro");
    worker = new AsyncTestWorker(broker.getBrokersAsString());
    String id = JSON.readTree(a.post().uri("/v1/jobs").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"prompt\":\"scenario:hold\"}").exchange().expectStatus().isAccepted()
        .expectBody().returnResult().getResponseBodyContent()).get("id").asString();
    await().atMost(Duration.ofSeconds(15)).until(() -> status(a, id).equals("running"));
    String firstEvent = a.get().uri("/v1/jobs/{id}/events", id).accept(MediaType.TEXT_EVENT_STREAM).exchange()
        .returnResult(String.class).getResponseBody().take(1).blockFirst(Duration.ofSeconds(15));
    assertThat(firstEvent).isEqualTo("{\"jobId\":\"" + id + "\",\"content\":\"Hel\"}");

    // when: A stops; the job ends while no gateway runs
    gateway.close();
    gateway = null;
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.holds(id));
    worker.release(id);
    assertThat(storedStatus(id)).isEqualTo("running");

    // then: B, started afterwards, shows the end the worker reported
    gateway = gateway("gw-jobs-b");
    WebTestClient b = client(gateway);
    JsonNode job = await().atMost(Duration.ofSeconds(20)).until(() -> job(b, id), node -> node.get("status").asString().equals("succeeded"));
    assertThat(job.get("result").get("content").asString()).isEqualTo("Hello");
    assertThat(job.has("finishedAt")).isTrue();
    // and: the client resumes its stream through B after the event it saw through A
    byte[] rest = b.get().uri("/v1/jobs/{id}/events", id).accept(MediaType.TEXT_EVENT_STREAM).header("Last-Event-ID", "1.1")
        .exchange().expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody();
    List<Map<String, String>> events = JobsIT.parseSse(new String(rest, StandardCharsets.UTF_8));
    assertThat(events).extracting(e -> e.get("id")).containsExactly("1.2", "1.3");
    assertThat(events).extracting(e -> e.get("event")).containsExactly("chunk", "done");
  }

  private static ConfigurableApplicationContext gateway(String instanceId) {
    // Command-line arguments: they win over application.yml (builder "properties" are only defaults).
    Map<String, String> settings = Map.ofEntries(
        Map.entry("server.port", "0"),
        Map.entry("spring.kafka.bootstrap-servers", broker.getBrokersAsString()),
        Map.entry("spring.r2dbc.url", database.r2dbcUrl()),
        Map.entry("spring.r2dbc.username", TestPostgres.USER),
        Map.entry("spring.r2dbc.password", TestPostgres.PASSWORD),
        Map.entry("spring.flyway.url", database.jdbcUrl()),
        Map.entry("spring.flyway.user", TestPostgres.USER),
        Map.entry("spring.flyway.password", TestPostgres.PASSWORD),
        Map.entry("gateway.instance-id", instanceId));
    return new SpringApplicationBuilder(GatewayApplication.class)
        .profiles("test")
        .run(settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
  }

  private static WebTestClient client(ConfigurableApplicationContext context) {
    int port = ((WebServerApplicationContext) context).getWebServer().getPort();
    return TestHttp.bindToServer().baseUrl("http://localhost:" + port)
        .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(USER))
        .responseTimeout(Duration.ofSeconds(20))
        .build();
  }

  private static JsonNode job(WebTestClient client, String id) {
    return JSON.readTree(client.get().uri("/v1/jobs/{id}", id).exchange().expectStatus().isOk()
        .expectBody().returnResult().getResponseBodyContent());
  }

  private static String status(WebTestClient client, String id) {
    return job(client, id).get("status").asString();
  }

  private static String storedStatus(String id) throws SQLException {
    try (Connection db = DriverManager.getConnection(database.jdbcUrl(), TestPostgres.USER, TestPostgres.PASSWORD);
         PreparedStatement select = db.prepareStatement("select status from jobs where id = ?::uuid")) {
      select.setString(1, id);
      try (ResultSet rows = select.executeQuery()) {
        rows.next();
        return rows.getString(1);
      }
    }
  }
}
