package ai.gateway.api.batches;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestHttp;
import ai.gateway.api.TestPostgres;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/batches} end to end on a real KRaft broker and PostgreSQL, with {@link BatchTestWorker} answering
 * {@code ai.batch-jobs} as the worker's batch lane does. K (items in flight per user) is 3 here.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "gateway.rate-limit.windows[0].period=1s", "gateway.rate-limit.windows[0].limit=100000",
    "gateway.batches.max-in-flight-per-user=3", "gateway.batches.feed-interval=100ms", "gateway.batches.max-items=20",
    "gateway.callbacks.allowed-hosts=127.0.0.1"})
@ActiveProfiles("test")
@DirtiesContext
class BatchesIT {

  private static final int K = 3;
  private static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");
  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();
  private static EmbeddedKafkaKraftBroker broker;
  private static @Nullable BatchTestWorker worker;
  private static final Set<String> users = new HashSet<>();

  @LocalServerPort
  int port;

  @Autowired
  JsonMapper json;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.afterPropertiesSet();
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", () -> broker.getBrokersAsString());
    DATABASE.register(registry);
  }

  @AfterAll
  static void stopBroker() throws InterruptedException {
    if (worker != null) {
      worker.close();
      worker = null;
    }
    broker.destroy();
  }

  @BeforeEach
  void setUp() {
    if (worker == null) {
      worker = new BatchTestWorker(broker.getBrokersAsString(), 100); // the gateway created the topics at its start
    }
  }

  @Test
  void shouldRunAJsonBatchAtMostKInFlightWithEveryResultOnce() {
    // given: 12 requests, one of which fails
    String user = user("batches-json");
    String requests = IntStream.rangeClosed(1, 12)
        .mapToObj(i -> "{\"custom_id\":\"req-" + i + "\",\"body\":{\"prompt\":\"" + (i == 5 ? "scenario:fail" : "p" + i)
            + "\",\"maxTokens\":20}}")
        .collect(Collectors.joining(","));

    // when
    JsonNode accepted = json.readTree(authorized(user).post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"requests\":[" + requests + "],\"callbackUrl\":\"https://hooks.example.com/b\"}")
        .exchange().expectStatus().isAccepted().expectBody().returnResult().getResponseBodyContent());

    // then: 202 {id, status}
    assertThat(names(accepted)).containsExactly("id", "status");
    assertThat(accepted.get("status").asString()).isEqualTo("queued");
    String id = accepted.get("id").asString();
    JsonNode done = awaitStatus(user, id, "completed");
    assertThat(names(done)).containsExactly("id", "status", "counts", "createdAt", "completedAt");
    assertThat(done.get("counts").toString())
        .isEqualTo("{\"total\":12,\"queued\":0,\"running\":0,\"succeeded\":11,\"failed\":1,\"cancelled\":0}");

    // and: every item was published once, as a BATCH job of this batch, and never more than K ran at once
    List<GenerationJob> jobs = worker().jobsOfBatch(id);
    assertThat(jobs).hasSize(12);
    assertThat(jobs).extracting(GenerationJob::getJobId).doesNotHaveDuplicates();
    assertThat(jobs).allSatisfy(job -> {
      assertThat(job.getKind()).isEqualTo(JobKind.BATCH);
      assertThat(job.getMaxTokens()).isEqualTo(20);
      assertThat(job.getAttemptTimeoutMs()).isEqualTo(30_000L);
    });
    assertThat(jobs).extracting(GenerationJob::getCustomId)
        .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 12).mapToObj(i -> "req-" + i).toList());
    assertThat(worker().mostHeldAtOnce(user)).isEqualTo(K);

    // and: one result line per item, each custom_id once
    List<JsonNode> lines = results(user, id);
    assertThat(lines).hasSize(12);
    assertThat(lines).extracting(line -> line.get("custom_id").asString()).doesNotHaveDuplicates();
    JsonNode ok = lines.stream().filter(line -> line.get("custom_id").asString().equals("req-1")).findFirst().orElseThrow();
    assertThat(names(ok)).containsExactly("custom_id", "status", "result");
    assertThat(ok.get("status").asString()).isEqualTo("succeeded");
    assertThat(ok.get("result").get("content").asString()).isEqualTo("echo:p1");
    assertThat(ok.get("result").get("costUsd").decimalValue()).isEqualByComparingTo("0.0001");
    JsonNode failed = lines.stream().filter(line -> line.get("custom_id").asString().equals("req-5")).findFirst().orElseThrow();
    assertThat(failed.get("status").asString()).isEqualTo("failed");
    assertThat(failed.get("error").toString())
        .isEqualTo("{\"code\":\"PROVIDER_ERROR\",\"message\":\"The provider failed.\",\"retryable\":true}");
  }

  @Test
  void shouldAcceptNdjsonWithOpenAiBatchLines() {
    String user = user("batches-ndjson");
    String body = """
        {"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"prompt":"one"}}

        {"custom_id":"b","body":{"prompt":"two","temperature":0.2}}
        {"custom_id":"c","body":{"prompt":"three"}}""";

    String id = json.readTree(authorized(user).post().uri("/v1/batches").contentType(NDJSON).bodyValue(body)
        .exchange().expectStatus().isAccepted().expectBody().returnResult().getResponseBodyContent()).get("id").asString();

    awaitStatus(user, id, "completed");
    assertThat(results(user, id)).extracting(line -> line.get("custom_id").asString() + "=" + line.get("result").get("content").asString())
        .containsExactlyInAnyOrder("a=echo:one", "b=echo:two", "c=echo:three");
    assertThat(worker().jobsOfBatch(id)).filteredOn(job -> job.getCustomId().equals("b"))
        .singleElement().extracting(GenerationJob::getTemperature).isEqualTo(0.2);
  }

  @Test
  void shouldPostOneSignedBatchCompletedCallbackWhenTheLastItemEnds() throws Exception {
    // given: a receiver on 127.0.0.1 (allowlisted here), and a batch that names it
    List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Map<String, List<String>>> headers = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/hook", exchange -> {
      bodies.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      Map<String, List<String>> received = new java.util.HashMap<>();
      exchange.getRequestHeaders().forEach((name, values) -> received.put(name.toLowerCase(java.util.Locale.ROOT), values));
      headers.add(received);
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    receiver.start();
    try {
      String user = user("batches-callback");
      String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
      String body = "{\"requests\":[{\"custom_id\":\"x\",\"body\":{\"prompt\":\"one\"}},"
          + "{\"custom_id\":\"y\",\"body\":{\"prompt\":\"two\"}}],\"callbackUrl\":\"" + url + "\"}";

      // when
      String id = json.readTree(authorized(user).post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON)
          .bodyValue(body).exchange().expectStatus().isAccepted().expectBody().returnResult().getResponseBodyContent())
          .get("id").asString();
      awaitStatus(user, id, "completed");

      // then: one POST, batch.completed with the batch as GET shows it, signed with the owner's secret
      await().atMost(Duration.ofSeconds(20)).until(() -> bodies.size() == 1);
      JsonNode event = json.readTree(bodies.get(0));
      assertThat(event.get("type").asString()).isEqualTo("batch.completed");
      assertThat(event.get("data").get("id").asString()).isEqualTo(id);
      assertThat(event.get("data").get("status").asString()).isEqualTo("completed");
      assertThat(event.get("data").get("counts").get("succeeded").asInt()).isEqualTo(2);
      assertThat(headers.get(0).get("webhook-id")).containsExactly(id);
      String secret = json.readTree(authorized(user).get().uri("/v1/webhook-secret").exchange().expectStatus().isOk()
          .expectBody().returnResult().getResponseBodyContent()).get("secret").asString();
      new com.standardwebhooks.Webhook(secret).verify(bodies.get(0), headers.get(0));
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void shouldRejectTheWholeBatchNamingTheLineAndStoreNothing() {
    String user = user("batches-rejected");
    // an invalid item on line 3
    JsonNode invalid = problem(submitNdjson(user, """
        {"custom_id":"a","body":{"prompt":"one"}}
        {"custom_id":"b","body":{"prompt":"two"}}
        {"custom_id":"c","body":{"prompt":"three","maxTokens":0}}
        {"custom_id":"d","body":{"prompt":"four"}}""").expectStatus().isBadRequest());
    assertThat(invalid.get("code").asString()).isEqualTo("INVALID_REQUEST");
    assertThat(invalid.get("detail").asString()).startsWith("Line 3: ");
    assertThat(invalid.get("errors").toString()).contains("\"field\":\"line 3: body.maxTokens\"");

    // a duplicate custom_id on line 2
    JsonNode duplicate = problem(submitNdjson(user, """
        {"custom_id":"a","body":{"prompt":"one"}}
        {"custom_id":"a","body":{"prompt":"two"}}""").expectStatus().isBadRequest());
    assertThat(duplicate.get("detail").asString()).startsWith("Line 2: ");
    assertThat(duplicate.get("errors").toString()).contains("line 2: custom_id", "is not unique within the batch");

    // one request too many (the limit is 20 here)
    String tooMany = IntStream.rangeClosed(1, 21).mapToObj(i -> "{\"custom_id\":\"r" + i + "\",\"body\":{\"prompt\":\"x\"}}")
        .collect(Collectors.joining("\n"));
    JsonNode over = problem(submitNdjson(user, tooMany).expectStatus().isBadRequest());
    assertThat(over.get("detail").asString()).isEqualTo("A batch holds at most 20 requests; line 21 is one too many.");

    // JSON: the second item names an unknown field
    JsonNode unknown = problem(authorized(user).post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"requests\":[{\"custom_id\":\"a\",\"body\":{\"prompt\":\"x\"}},{\"custom_id\":\"b\",\"body\":{\"prompt\":\"x\",\"api_base\":\"h\"}}]}")
        .exchange().expectStatus().isBadRequest());
    assertThat(unknown.get("detail").asString()).startsWith("Item 2 (requests[1]): ");
    assertThat(unknown.get("errors").toString()).contains("requests[1].body.api_base");

    // other content types, an empty batch, malformed JSON
    problem(authorized(user).post().uri("/v1/batches").contentType(MediaType.TEXT_PLAIN).bodyValue("x")
        .exchange().expectStatus().isEqualTo(415));
    problem(submitNdjson(user, "\n\n").expectStatus().isBadRequest());
    problem(authorized(user).post().uri("/v1/batches").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"requests\":[{")
        .exchange().expectStatus().isBadRequest());

    // then: nothing stored, nothing published
    assertThat(count("select count(*) from batches where user_id = ?", user)).isZero();
    assertThat(count("select count(*) from batch_items where user_id = ?", user)).isZero();
    assertThat(worker().jobs).noneMatch(job -> job.getUserId().equals(user));
  }

  @Test
  void shouldShowResultsWhileRunningAndCancelSoThatQueuedItemsNeverRun() {
    // given: two quick items, then four that run until cancelled; K = 3, so the sixth waits in the queue
    String user = user("batches-cancel");
    String body = IntStream.rangeClosed(1, 6).mapToObj(i -> "{\"custom_id\":\"c" + i + "\",\"body\":{\"prompt\":\""
        + (i <= 2 ? "quick" + i : "scenario:hold") + "\"}}").collect(Collectors.joining("\n"));
    String id = json.readTree(submitNdjson(user, body).expectStatus().isAccepted().expectBody().returnResult()
        .getResponseBodyContent()).get("id").asString();

    // when: running, with the quick ones done
    JsonNode running = await().atMost(Duration.ofSeconds(15))
        .until(() -> batch(user, id), batch -> batch.get("counts").get("running").asInt() == 3
            && batch.get("counts").get("succeeded").asInt() == 2);
    assertThat(running.get("status").asString()).isEqualTo("running");
    assertThat(running.get("counts").get("queued").asInt()).isEqualTo(1);
    assertThat(running.has("completedAt")).isFalse();

    // then: the results so far
    assertThat(results(user, id)).extracting(line -> line.get("custom_id").asString()).containsExactlyInAnyOrder("c1", "c2");

    // when: cancelled
    JsonNode cancelling = json.readTree(authorized(user).post().uri("/v1/batches/{id}/cancel", id).exchange()
        .expectStatus().isAccepted().expectBody().returnResult().getResponseBodyContent());
    assertThat(cancelling.get("status").asString()).isIn("cancelling", "cancelled");

    // then: the queued item never ran, the running ones were cancelled by their worker
    JsonNode cancelled = awaitStatus(user, id, "cancelled");
    assertThat(cancelled.get("counts").toString())
        .isEqualTo("{\"total\":6,\"queued\":0,\"running\":0,\"succeeded\":2,\"failed\":0,\"cancelled\":4}");
    assertThat(worker().jobsOfBatch(id)).extracting(GenerationJob::getCustomId).containsExactlyInAnyOrder("c1", "c2", "c3", "c4", "c5");
    assertThat(worker().controls).filteredOn(control -> worker().jobsOfBatch(id).stream()
        .anyMatch(job -> job.getJobId().equals(control.getJobId()))).hasSize(3);
    List<JsonNode> lines = results(user, id);
    assertThat(lines).extracting(line -> line.get("custom_id").asString()).containsExactlyInAnyOrder("c1", "c2", "c3", "c4", "c5", "c6");
    assertThat(lines).filteredOn(line -> line.get("custom_id").asString().equals("c6")).singleElement()
        .satisfies(line -> assertThat(line.get("error").get("code").asString()).isEqualTo("CANCELLED"));
  }

  @Test
  void shouldAnswer404ForOtherUsersBatchesAndForNonIds() {
    String owner = user("batches-owner");
    String other = user("batches-other");
    String id = json.readTree(submitNdjson(owner, "{\"custom_id\":\"x\",\"body\":{\"prompt\":\"hi\"}}")
        .expectStatus().isAccepted().expectBody().returnResult().getResponseBodyContent()).get("id").asString();

    problem(authorized(other).get().uri("/v1/batches/{id}", id).exchange().expectStatus().isNotFound());
    problem(authorized(other).get().uri("/v1/batches/{id}/results", id).exchange().expectStatus().isNotFound());
    problem(authorized(other).post().uri("/v1/batches/{id}/cancel", id).exchange().expectStatus().isNotFound());
    problem(authorized(owner).get().uri("/v1/batches/{id}", "not-an-id").exchange().expectStatus().isNotFound());

    awaitStatus(owner, id, "completed");
    problem(authorized(owner).post().uri("/v1/batches/{id}/cancel", id).exchange().expectStatus().isEqualTo(409));
  }

  private static BatchTestWorker worker() {
    BatchTestWorker current = worker;
    if (current == null) {
      throw new IllegalStateException("no worker");
    }
    return current;
  }

  private String user(String id) {
    if (users.add(id + "@" + port)) {
      TestCredentials.createUser(TestHttp.bindToServer().baseUrl("http://localhost:" + port).build(), id, "pro");
    }
    return id;
  }

  private WebTestClient authorized(String user) {
    return TestHttp.bindToServer().baseUrl("http://localhost:" + port)
        .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(user))
        .responseTimeout(Duration.ofSeconds(20))
        .build();
  }

  private WebTestClient.ResponseSpec submitNdjson(String user, String body) {
    return authorized(user).post().uri("/v1/batches").contentType(NDJSON).bodyValue(body).exchange();
  }

  private JsonNode problem(WebTestClient.ResponseSpec response) {
    byte[] body = response.expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().returnResult().getResponseBodyContent();
    return json.readTree(body);
  }

  private JsonNode batch(String user, String id) {
    return json.readTree(authorized(user).get().uri("/v1/batches/{id}", id).exchange().expectStatus().isOk()
        .expectBody().returnResult().getResponseBodyContent());
  }

  private JsonNode awaitStatus(String user, String id, String status) {
    return await().atMost(Duration.ofSeconds(20)).until(() -> batch(user, id), batch -> batch.get("status").asString().equals(status));
  }

  private List<JsonNode> results(String user, String id) {
    byte[] body = authorized(user).get().uri("/v1/batches/{id}/results", id).exchange().expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith(NDJSON)
        .expectBody().returnResult().getResponseBodyContent();
    List<JsonNode> lines = new ArrayList<>();
    if (body != null) {
      for (String line : new String(body, StandardCharsets.UTF_8).split("\n")) {
        if (!line.isEmpty()) {
          lines.add(json.readTree(line));
        }
      }
    }
    return lines;
  }

  private long count(String sql, String user) {
    try (Connection db = DriverManager.getConnection(DATABASE.jdbcUrl(), TestPostgres.USER, TestPostgres.PASSWORD);
         PreparedStatement select = db.prepareStatement(sql)) {
      select.setString(1, user);
      try (ResultSet rows = select.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> names(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.propertyNames().forEach(names::add);
    return names;
  }
}
