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
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.kafka.JobPublisher;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobResult;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.api.TestHttp;
import com.fasterxml.uuid.Generators;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/jobs} end to end on a real KRaft broker and PostgreSQL, with {@link AsyncTestWorker} answering jobs
 * and publishing their statuses as a worker does. Publish failures and slow publishes are injected around the
 * real Kafka publisher ({@link FaultInjection}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "gateway.rate-limit.windows[0].period=1s", "gateway.rate-limit.windows[0].limit=100000",
    "gateway.jobs.sweep-interval=300ms", "gateway.jobs.accept-timeout=20s",
    "gateway.callbacks.allowed-hosts=127.0.0.1"})
@ActiveProfiles("test")
@DirtiesContext
class JobsIT {

  private static final String USER = "jobs-it-user";
  private static final String OTHER = "jobs-it-other";
  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();
  private static EmbeddedKafkaKraftBroker broker;
  private static @Nullable AsyncTestWorker worker;
  private static final Set<String> users = new HashSet<>();

  @LocalServerPort
  int port;

  @Autowired
  JsonMapper json;

  @Autowired
  FaultInjectingPublisher faults;

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
    user(USER);
    user(OTHER);
    if (worker == null) {
      worker = new AsyncTestWorker(broker.getBrokersAsString()); // the gateway created the topics at its start
    }
  }

  @AfterEach
  void healFaults() {
    faults.failing = false;
    faults.open();
  }

  @Test
  void shouldRunAnAsyncJobToSucceededWithItsResult() {
    // when
    EntityExchangeResult<byte[]> accepted = submit(USER, null, """
        {"prompt":"Say hello","maxTokens":50,"metadata":{"order":"42"},"callbackUrl":"https://hooks.example.com/ai"}""")
        .expectStatus().isAccepted()
        .expectHeader().doesNotExist(JobsController.REPLAYED)
        .expectBody().returnResult();

    // then: 202, Location and the design's body
    JsonNode body = json.readTree(accepted.getResponseBodyContent());
    assertThat(names(body)).containsExactly("id", "status", "links");
    String id = body.get("id").asString();
    assertThat(UUID.fromString(id).version()).isEqualTo(7);
    assertThat(body.get("status").asString()).isEqualTo("queued");
    assertThat(body.get("links").toString())
        .isEqualTo("{\"self\":\"/v1/jobs/" + id + "\",\"events\":\"/v1/jobs/" + id + "/events\"}");
    assertThat(accepted.getResponseHeaders().getLocation()).hasToString("/v1/jobs/" + id);

    // and: an async job with a per-attempt timeout and a lifetime
    GenerationJob job = await().atMost(Duration.ofSeconds(10)).until(() -> worker().jobsWithId(id), jobs -> jobs.size() == 1).get(0);
    assertThat(job.getKind()).isEqualTo(JobKind.ASYNC);
    assertThat(job.getUserId()).isEqualTo(USER);
    assertThat(job.getMaxTokens()).isEqualTo(50);
    assertThat(job.getAttemptTimeoutMs()).isEqualTo(30_000L);
    assertThat(Duration.between(job.getCreatedAt(), job.getDeadlineAt())).isEqualTo(Duration.ofHours(24));
    assertThat(job.getMetadata()).containsExactlyEntriesOf(Map.of("order", "42"));

    // and: the state the worker reported, materialized
    JsonNode done = awaitStatus(USER, id, "succeeded");
    assertThat(names(done)).containsExactly("id", "status", "result", "createdAt", "startedAt", "finishedAt", "metadata", "callback");
    JsonNode result = done.get("result");
    assertThat(names(result)).containsExactly("jobId", "content", "provider", "model", "finishReason", "usage", "costUsd");
    assertThat(result.get("jobId").asString()).isEqualTo(id);
    assertThat(result.get("content").asString()).isEqualTo("Hello, world");
    assertThat(result.get("model").asString()).isEqualTo("gpt-test-2026");
    assertThat(result.get("usage").toString())
        .isEqualTo("{\"promptTokens\":3,\"completionTokens\":3,\"totalTokens\":6,\"estimated\":false}");
    assertThat(result.get("costUsd").decimalValue()).isEqualByComparingTo("0.00015");
    assertThat(done.get("metadata").toString()).isEqualTo("{\"order\":\"42\"}");
    Instant createdAt = Instant.parse(done.get("createdAt").asString());
    assertThat(createdAt).isEqualTo(job.getCreatedAt());
    assertThat(Instant.parse(done.get("startedAt").asString())).isAfterOrEqualTo(createdAt.truncatedTo(ChronoUnit.SECONDS));
    assertThat(Instant.parse(done.get("finishedAt").asString())).isAfterOrEqualTo(Instant.parse(done.get("startedAt").asString()));
  }

  @Test
  void shouldDeliverASignedCallbackRetryingA500WithTheSameWebhookId() throws Exception {
    // given: a receiver on 127.0.0.1 (allowlisted) answering 500, then 200
    List<Map<String, List<String>>> headers = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
    com.sun.net.httpserver.HttpServer receiver = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/hook", exchange -> {
      Map<String, List<String>> lower = new java.util.HashMap<>();
      exchange.getRequestHeaders().forEach((name, values) -> lower.put(name.toLowerCase(java.util.Locale.ROOT), values));
      headers.add(lower);
      bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      exchange.sendResponseHeaders(headers.size() == 1 ? 500 : 200, -1);
      exchange.close();
    });
    receiver.start();
    try {
      String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";

      // when
      String id = accept(USER, null, "{\"prompt\":\"Say hello\",\"callbackUrl\":\"" + url + "\"}");

      // then: delivered at the second attempt, visible on the job
      JsonNode job = await().atMost(Duration.ofSeconds(20)).until(() -> job(USER, id),
          j -> j.has("callback") && j.get("callback").get("delivered").asBoolean());
      assertThat(job.get("callback").toString())
          .isEqualTo("{\"url\":\"" + url + "\",\"attempts\":2,\"lastStatus\":\"200\",\"delivered\":true}");
      assertThat(bodies).hasSize(2);
      assertThat(headers.get(0).get("webhook-id")).isEqualTo(headers.get(1).get("webhook-id")).containsExactly(id);
      JsonNode event = json.readTree(bodies.get(1));
      assertThat(event.get("type").asString()).isEqualTo("job.succeeded");
      assertThat(event.get("data").get("id").asString()).isEqualTo(id);
      assertThat(event.get("data").get("result").get("content").asString()).isEqualTo("Hello, world");
      assertThat(event.get("data").has("callback")).isFalse();
      // signed with the job owner's own secret, as GET /v1/webhook-secret shows it
      String secret = webhookSecret(USER).get("secret").asString();
      for (int i = 0; i < 2; i++) {
        new com.standardwebhooks.Webhook(secret).verify(bodies.get(i), headers.get(i));
      }
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void shouldMakeAWebhookSecretOnFirstUseAndRotateItKeepingThePreviousOneValidForADay() {
    // when: read twice
    JsonNode first = webhookSecret(USER);
    JsonNode again = webhookSecret(USER);

    // then: one secret per user, whsec_ + base64 of 32 bytes, the same on every read
    String secret = first.get("secret").asString();
    assertThat(secret).startsWith("whsec_");
    assertThat(java.util.Base64.getDecoder().decode(secret.substring("whsec_".length()))).hasSize(32);
    assertThat(again.get("secret").asString()).isEqualTo(secret);
    assertThat(first.has("previousValidUntil")).isFalse();
    assertThat(webhookSecret(OTHER).get("secret").asString()).isNotEqualTo(secret);

    // when: rotated
    JsonNode rotated = json.readTree(authorized(USER).post().uri("/v1/webhook-secret/rotate").exchange()
        .expectStatus().isOk().expectBody().returnResult().getResponseBodyContent());

    // then: a new secret; the replaced one still signs for about a day
    assertThat(rotated.get("secret").asString()).startsWith("whsec_").isNotEqualTo(secret);
    assertThat(java.time.Instant.parse(rotated.get("previousValidUntil").asString()))
        .isBetween(java.time.Instant.now().plus(Duration.ofHours(23)), java.time.Instant.now().plus(Duration.ofHours(25)));
    assertThat(webhookSecret(USER).get("secret").asString()).isEqualTo(rotated.get("secret").asString());
    // and: not without credentials
    TestHttp.bindToServer().baseUrl("http://localhost:" + port).build().get().uri("/v1/webhook-secret").exchange()
        .expectStatus().isUnauthorized();
  }

  @Test
  void shouldNotCallAgainBeforeTheReceiversRetryAfter() throws Exception {
    // given: a receiver that answers 503 with Retry-After: 2 s, then 200; the test profile's next attempt would
    // come after 1 s
    try (CallbackReceiver receiver = new CallbackReceiver(n -> n == 1 ? 503 : 200)) {
      String id = accept(USER, null, "{\"prompt\":\"Say hello\",\"callbackUrl\":\"" + receiver.url("127.0.0.1") + "\"}");

      // when
      JsonNode job = await().atMost(Duration.ofSeconds(30)).until(() -> job(USER, id),
          j -> j.has("callback") && j.get("callback").get("delivered").asBoolean());

      // then: the 1 s slot passed unused; the second request came no sooner than Retry-After
      assertThat(receiver.times).hasSize(2);
      assertThat(Duration.ofNanos(receiver.times.get(1) - receiver.times.get(0)))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(CallbackReceiver.RETRY_AFTER_SECONDS));
      assertThat(job.get("callback").get("attempts").asInt()).isEqualTo(2);
      assertThat(job.get("callback").get("lastStatus").asString()).isEqualTo("200");
    }
  }

  @Test
  void shouldPublishACallbackAFailedGatewayLeftDueButUnpublished() throws Exception {
    try (CallbackReceiver receiver = new CallbackReceiver(n -> 200)) {
      // given: a delivered callback, then the row as a gateway that died between the apply and the publish
      // leaves it: due (pending), no attempt made, long enough ago
      String id = accept(USER, null, "{\"prompt\":\"Say hello\",\"callbackUrl\":\"" + receiver.url("127.0.0.1") + "\"}");
      await().atMost(Duration.ofSeconds(20)).until(() -> receiver.hooks.get() == 1);
      await().atMost(Duration.ofSeconds(10)).until(() -> callbackState(id).equals("delivered"));
      try (Connection db = connect();
           PreparedStatement update = db.prepareStatement("update jobs set callback_state = 'pending', callback_attempts = 0, "
               + "callback_last_status = null, updated_at = now() - interval '1 minute' where id = ?::uuid")) {
        update.setString(1, id);
        assertThat(update.executeUpdate()).isEqualTo(1);
      }

      // when / then: the sweeper publishes it, and it is delivered
      await().atMost(Duration.ofSeconds(20)).until(() -> receiver.hooks.get() == 2);
      await().atMost(Duration.ofSeconds(10)).until(() -> callbackState(id).equals("delivered"));
      assertThat(job(USER, id).get("callback").get("attempts").asInt()).isEqualTo(1);
    }
  }

  @Test
  void shouldNotFollowARedirectAndGiveUpAfterTheLastAttempt() throws Exception {
    try (CallbackReceiver receiver = new CallbackReceiver(n -> 302)) {
      // when
      String id = accept(USER, null, "{\"prompt\":\"Say hello\",\"callbackUrl\":\"" + receiver.url("127.0.0.1") + "\"}");

      // then: the test profile's 4 attempts, each a failure; the redirect target never asked
      JsonNode job = await().atMost(Duration.ofSeconds(30)).until(() -> job(USER, id),
          j -> j.has("callback") && j.get("callback").get("attempts").asInt() == 4 && callbackState(id).equals("failed"));
      assertThat(job.get("callback").get("lastStatus").asString()).isEqualTo("302");
      assertThat(job.get("callback").get("delivered").asBoolean()).isFalse();
      assertThat(receiver.hooks).hasValue(4);
      assertThat(receiver.elsewhere).hasValue(0);
    }
  }

  @Test
  void shouldRefuseAtDeliveryAHostNotAllowlistedWithoutConnecting() throws Exception {
    try (CallbackReceiver receiver = new CallbackReceiver(n -> 200)) {
      // given: a held job whose stored URL now names localhost (not allowlisted; as if the allowlist changed)
      String id = accept(USER, null, "{\"prompt\":\"scenario:hold\",\"callbackUrl\":\"" + receiver.url("127.0.0.1") + "\"}");
      awaitStatus(USER, id, "running");
      try (Connection db = connect();
           PreparedStatement update = db.prepareStatement("update jobs set callback_url = ? where id = ?::uuid")) {
        update.setString(1, receiver.url("localhost"));
        update.setString(2, id);
        assertThat(update.executeUpdate()).isEqualTo(1);
      }

      // when: the job ends
      authorized(USER).post().uri("/v1/jobs/{id}/cancel", id).exchange().expectStatus().isAccepted();

      // then: every attempt blocked, given up, the receiver never reached
      // the state is read after the job body: wait for the end, then read the body of the ended delivery
      await().atMost(Duration.ofSeconds(30)).until(() -> callbackState(id).equals("failed"));
      JsonNode job = job(USER, id);
      assertThat(job.get("status").asString()).isEqualTo("cancelled");
      assertThat(job.get("callback").get("attempts").asInt()).isEqualTo(4);
      assertThat(job.get("callback").get("lastStatus").asString()).isEqualTo("blocked");
      assertThat(receiver.hooks).hasValue(0);
    }
  }

  @Test
  void shouldRefuseInternalCallbackUrlsAtSubmit() {
    for (String url : List.of("https://localhost/", "https://127.0.0.1.nip.io/", "https://2130706433/",
        "https://[::ffff:127.0.0.1]/", "https://169.254.169.254/", "https://hooks.example.com:6379/",
        "http://hooks.example.com/", "http://localhost:8080/")) {
      JsonNode problem = problem(submit(USER, null, "{\"prompt\":\"Say hello\",\"callbackUrl\":\"" + url + "\"}")
          .expectStatus().isBadRequest());
      assertThat(problem.get("code").asString()).as(url).isEqualTo("INVALID_REQUEST");
      assertThat(problem.get("errors").get(0).get("field").asString()).as(url).isEqualTo("callbackUrl");
    }
  }

  @Test
  void shouldShowAFailedJobWithItsError() {
    String id = accept(USER, null, "{\"prompt\":\"scenario:fail\"}");

    JsonNode failed = awaitStatus(USER, id, "failed");

    assertThat(failed.has("result")).isFalse();
    assertThat(failed.get("error").toString())
        .isEqualTo("{\"code\":\"PROVIDER_ERROR\",\"message\":\"The provider failed.\",\"retryable\":true}");
    assertThat(failed.has("finishedAt")).isTrue();
  }

  @Test
  void shouldAnswerTheSameJobForTheSameKeyAndBodyAnd422ForAnotherBody() {
    // given
    String id = accept(USER, "same-key-1", "{\"prompt\":\"Say hello\",\"maxTokens\":20}");

    // when: the same request again (other whitespace and field order)
    EntityExchangeResult<byte[]> again = submit(USER, "same-key-1", "{ \"maxTokens\": 20, \"prompt\": \"Say hello\" }")
        .expectStatus().isAccepted()
        .expectHeader().valueEquals(JobsController.REPLAYED, "true")
        .expectHeader().valueEquals(HttpHeaders.LOCATION, "/v1/jobs/" + id)
        .expectBody().returnResult();

    // then
    assertThat(json.readTree(again.getResponseBodyContent()).get("id").asString()).isEqualTo(id);
    JsonNode conflict = problem(submit(USER, "same-key-1", "{\"prompt\":\"Say something else\",\"maxTokens\":20}")
        .expectStatus().isEqualTo(422));
    assertThat(conflict.get("code").asString()).isEqualTo("IDEMPOTENCY_CONFLICT");
    assertThat(conflict.get("retryable").asBoolean()).isFalse();
    // and: another user's identical key is theirs alone
    String others = accept(OTHER, "same-key-1", "{\"prompt\":\"Say hello\",\"maxTokens\":20}");
    assertThat(others).isNotEqualTo(id);
    await().atMost(Duration.ofSeconds(10)).until(() -> worker().jobsWithId(others).size() == 1);
    assertThat(worker().jobsWithId(id)).hasSize(1);
    assertThat(rowsWithKey(USER, "same-key-1")).isEqualTo(1);
  }

  @Test
  void shouldMakeExactlyOneJobOfConcurrentRequestsWithOneKey() {
    // when: eight requests with one key at once
    WebClient web = TestHttp.webClient("http://localhost:" + port);
    List<Outcome> outcomes = Flux.range(0, 8)
        .flatMap(i -> web.post().uri("/v1/jobs")
            .header(HttpHeaders.AUTHORIZATION, bearer(USER))
            .header(JobsController.IDEMPOTENCY_KEY, "concurrent-key")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue("{\"prompt\":\"Say hello concurrently\"}")
            .exchangeToMono(response -> response.bodyToMono(String.class)
                .map(text -> new Outcome(response.statusCode().value(), json.readTree(text)))), 8)
        .collectList()
        .block(Duration.ofSeconds(30));

    // then: every answer is that one job or 409 (still being accepted); one row, one job on Kafka
    assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.status()).isIn(202, 409));
    Set<String> ids = new HashSet<>();
    outcomes.stream().filter(o -> o.status() == 202).forEach(o -> ids.add(o.body().get("id").asString()));
    outcomes.stream().filter(o -> o.status() == 409)
        .forEach(o -> assertThat(o.body().get("code").asString()).isEqualTo("IDEMPOTENCY_CONFLICT"));
    assertThat(ids).hasSize(1);
    assertThat(rowsWithKey(USER, "concurrent-key")).isEqualTo(1);
    String id = ids.iterator().next();
    awaitStatus(USER, id, "succeeded");
    assertThat(worker().jobsWithId(id)).hasSize(1);
  }

  @Test
  void shouldAnswer409WhileTheFirstRequestWithTheKeyIsStillBeingAccepted() {
    // given: the first request's publish does not complete yet
    faults.hold();
    WebClient web = TestHttp.webClient("http://localhost:" + port);
    var first = web.post().uri("/v1/jobs")
        .header(HttpHeaders.AUTHORIZATION, bearer(USER))
        .header(JobsController.IDEMPOTENCY_KEY, "slow-key")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"prompt\":\"Say hello slowly\"}")
        .retrieve().toEntity(String.class).toFuture();
    await().atMost(Duration.ofSeconds(10)).until(() -> rowsWithKey(USER, "slow-key") == 1);

    // when
    JsonNode conflict = problem(submit(USER, "slow-key", "{\"prompt\":\"Say hello slowly\"}").expectStatus().isEqualTo(409));

    // then
    assertThat(conflict.get("code").asString()).isEqualTo("IDEMPOTENCY_CONFLICT");
    assertThat(conflict.get("retryable").asBoolean()).isTrue();
    faults.open();
    String id = json.readTree(first.join().getBody()).get("id").asString();
    assertThat(first.join().getStatusCode().value()).isEqualTo(202);
    assertThat(accept(USER, "slow-key", "{\"prompt\":\"Say hello slowly\"}")).isEqualTo(id);
  }

  @Test
  void shouldAnswer503AndLeaveNoOrphanWhenThePublishFails() {
    // given
    String user = user("jobs-it-publish-failure");
    faults.failing = true;

    // when: without a key
    JsonNode unavailable = problem(submit(user, null, "{\"prompt\":\"Say hello\"}")
        .expectStatus().isEqualTo(503)
        .expectHeader().exists(HttpHeaders.RETRY_AFTER));

    // then: no row is left
    assertThat(unavailable.get("code").asString()).isEqualTo("UNAVAILABLE");
    assertThat(rows(user)).isZero();

    // when: with a key
    submit(user, "failed-key", "{\"prompt\":\"Say hello\"}").expectStatus().isEqualTo(503);

    // then: the row is kept hidden (rejected), for a retry with that key; nothing of it is visible
    assertThat(acceptStates(user)).containsExactly("rejected");
    assertThat(list(user, "").get("jobs")).isEmpty();

    // when: Kafka is back and the client retries with the key
    faults.failing = false;
    String id = accept(user, "failed-key", "{\"prompt\":\"Say hello\"}");

    // then: the same row, published once, run once
    assertThat(rowIds(user)).containsExactly(id);
    awaitStatus(user, id, "succeeded");
    assertThat(worker().jobsWithId(id)).hasSize(1);
  }

  @Test
  void shouldRepublishARowACrashLeftUnpublished() throws SQLException {
    // given: a row inserted an hour ago whose gateway died before publishing it
    String user = user("jobs-it-crash");
    String id = Generators.timeBasedEpochGenerator().generate().toString();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    GenerationJob job = GenerationJob.newBuilder().setJobId(id).setUserId(user).setKind(JobKind.ASYNC)
        .setPrompt("Say hello").setMaxTokens(20).setTemperature(0.7).setCreatedAt(now)
        .setDeadlineAt(now.plus(Duration.ofHours(24))).setAttemptTimeoutMs(30_000L).setDelivery(1).build();
    try (Connection db = connect(); PreparedStatement insert = db.prepareStatement("""
        insert into jobs (id, user_id, request, request_hash, created_at, accept_state, updated_at)
        values (?::uuid, ?, ?, ?, now(), 'accepting', now() - interval '1 hour')""")) {
      insert.setString(1, id);
      insert.setString(2, user);
      insert.setBytes(3, Topics.JOBS.valueSerde().serializer().serialize(null, job));
      insert.setBytes(4, new byte[32]);
      insert.executeUpdate();
    }

    // then: the sweeper republishes it and the job runs to its end, visible to its owner
    awaitStatus(user, id, "succeeded");
    assertThat(worker().jobsWithId(id)).hasSize(1);
    assertThat(acceptStates(user)).containsExactly("published");
  }

  @Test
  void shouldCancelARunningJobAnd409AFinishedOne() {
    // given
    String id = accept(USER, null, "{\"prompt\":\"scenario:hold\"}");
    awaitStatus(USER, id, "running");

    // when
    EntityExchangeResult<byte[]> cancel = authorized(USER).post().uri("/v1/jobs/{id}/cancel", id).exchange()
        .expectStatus().isAccepted().expectBody().returnResult();

    // then
    assertThat(json.readTree(cancel.getResponseBodyContent()).get("status").asString()).isEqualTo("running");
    List<JobControl> controls = await().atMost(Duration.ofSeconds(10))
        .until(() -> worker().controlsFor(id), list -> !list.isEmpty());
    assertThat(controls.get(0).getReason()).isEqualTo(AsyncJobs.USER_REQUEST);
    assertThat(controls.get(0).getUserId()).isEqualTo(USER);
    JsonNode cancelled = awaitStatus(USER, id, "cancelled");
    assertThat(cancelled.get("error").get("code").asString()).isEqualTo("CANCELLED");

    // and: a finished job cannot be cancelled
    JsonNode finished = problem(authorized(USER).post().uri("/v1/jobs/{id}/cancel", id).exchange().expectStatus().isEqualTo(409));
    assertThat(finished.get("detail").asString()).contains("already finished");
  }

  @Test
  void shouldAnswer404ForAnotherUsersJobAndForIdsThatAreNoJobs() {
    String id = accept(USER, null, "{\"prompt\":\"Say hello\"}");

    for (String path : List.of("/v1/jobs/" + id, "/v1/jobs/" + id + "/events")) {
      assertThat(problem(authorized(OTHER).get().uri(path).exchange().expectStatus().isNotFound()).get("code").asString())
          .isEqualTo("NOT_FOUND");
    }
    problem(authorized(OTHER).post().uri("/v1/jobs/{id}/cancel", id).exchange().expectStatus().isNotFound());
    for (String bad : List.of("not-a-uuid", UUID.randomUUID().toString(), id.toUpperCase(), "00000000-0000-0000-0000-000000000000",
        Generators.timeBasedEpochGenerator().generate().toString())) {
      problem(authorized(USER).get().uri("/v1/jobs/" + bad).exchange().expectStatus().isNotFound());
    }
    // without credentials: 401, not a hint that the job exists
    TestHttp.bindToServer().baseUrl("http://localhost:" + port).build().get().uri("/v1/jobs/" + id).exchange()
        .expectStatus().isUnauthorized();
  }

  @Test
  void shouldListTheCallersJobsNewestFirstInPages() {
    // given
    String user = user("jobs-it-lister");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(accept(user, null, "{\"prompt\":\"Say hello " + i + "\"}"));
    }
    List<String> newestFirst = new ArrayList<>(ids);
    java.util.Collections.reverse(newestFirst);

    // when
    JsonNode first = list(user, "?limit=2");
    JsonNode second = list(user, "?limit=2&after=" + first.get("nextAfter").asString());
    JsonNode third = list(user, "?limit=2&after=" + second.get("nextAfter").asString());

    // then
    List<String> seen = new ArrayList<>();
    for (JsonNode page : List.of(first, second, third)) {
      page.get("jobs").forEach(job -> seen.add(job.get("id").asString()));
    }
    assertThat(seen).containsExactlyElementsOf(newestFirst);
    assertThat(third.has("nextAfter")).isFalse();
    assertThat(list(user, "").get("jobs")).hasSize(5);
    assertThat(list(OTHER, "?limit=100").get("jobs").valueStream().map(job -> job.get("id").asString()))
        .doesNotContainAnyElementsOf(ids);
    for (String bad : List.of("?limit=0", "?limit=101", "?limit=abc", "?limit=1.5", "?after=nope", "?limit=1&limit=2")) {
      assertThat(problem(authorized(user).get().uri("/v1/jobs" + bad).exchange().expectStatus().isBadRequest())
          .get("code").asString()).isEqualTo("INVALID_REQUEST");
    }
  }

  @Test
  void shouldReplayAFinishedJobsEventsWholeOrAfterLastEventId() {
    // given
    String id = accept(USER, null, "{\"prompt\":\"Say hello\"}");
    awaitStatus(USER, id, "succeeded");

    // when / then: all of it, at once, ending with done
    List<Map<String, String>> all = events(id, null);
    assertThat(all).extracting(e -> e.get("id")).containsExactly("1.1", "1.2", "1.3", "1.4");
    assertThat(all).extracting(e -> e.get("event")).containsExactly("chunk", "chunk", "chunk", "done");
    assertThat(json.readTree(all.get(0).get("data")).toString()).isEqualTo("{\"jobId\":\"" + id + "\",\"content\":\"Hello\"}");
    // after an event: the rest; after the last: nothing
    assertThat(events(id, "1.2")).extracting(e -> e.get("id")).containsExactly("1.3", "1.4");
    assertThat(events(id, "1.4")).isEmpty();
    // a malformed Last-Event-ID
    for (String bad : List.of("x", "1", "1.", "0.1", "1.-1", "01.1")) {
      assertThat(problem(authorized(USER).get().uri("/v1/jobs/{id}/events", id).header("Last-Event-ID", bad)
          .accept(MediaType.TEXT_EVENT_STREAM).exchange().expectStatus().isBadRequest()).get("code").asString())
          .isEqualTo("INVALID_REQUEST");
    }
  }

  @Test
  void shouldResumeALiveJobsEventsWithoutGapOrDuplicate() {
    // given: a job that streams 30 chunks, 50 ms apart
    String id = accept(USER, null, "{\"prompt\":\"scenario:ticks:30\"}");

    // when: a client reads five events and drops; it reconnects with the last id it saw
    List<String> firstIds = TestHttp.webClient("http://localhost:" + port).get().uri("/v1/jobs/{id}/events", id)
        .header(HttpHeaders.AUTHORIZATION, bearer(USER))
        .accept(MediaType.TEXT_EVENT_STREAM)
        .retrieve().bodyToFlux(new org.springframework.core.ParameterizedTypeReference<org.springframework.http.codec.ServerSentEvent<String>>() { })
        .filter(event -> event.id() != null)
        .map(event -> event.id())
        .take(5)
        .collectList().block(Duration.ofSeconds(20));
    List<Map<String, String>> rest = events(id, firstIds.get(firstIds.size() - 1));

    // then: every event exactly once, in order, through done
    List<String> ids = new ArrayList<>(firstIds);
    rest.forEach(event -> ids.add(event.get("id")));
    assertThat(ids).containsExactlyElementsOf(IntStream.rangeClosed(1, 31).mapToObj(seq -> "1." + seq).toList());
    assertThat(rest.get(rest.size() - 1).get("event")).isEqualTo("done");
  }

  @Test
  void shouldResumeAGenerateStreamThroughTheEventsEndpointForItsOwnerOnly() {
    // given: a POST /v1/generate/stream client that reads five events and drops (its gateway died, say)
    List<org.springframework.http.codec.ServerSentEvent<String>> first = TestHttp.webClient("http://localhost:" + port)
        .post().uri("/v1/generate/stream")
        .header(HttpHeaders.AUTHORIZATION, bearer(USER))
        .contentType(MediaType.APPLICATION_JSON).accept(MediaType.TEXT_EVENT_STREAM)
        .bodyValue("{\"prompt\":\"scenario:ticks:30\"}")
        .retrieve().bodyToFlux(new org.springframework.core.ParameterizedTypeReference<org.springframework.http.codec.ServerSentEvent<String>>() { })
        .filter(event -> event.id() != null)
        .take(5)
        .collectList().block(Duration.ofSeconds(20));
    String id = json.readTree(first.get(0).data()).get("jobId").asString();

    // when: it resumes from its last event on the jobs events endpoint
    List<Map<String, String>> rest = events(id, first.get(first.size() - 1).id());

    // then: every event exactly once, in order, through done
    List<String> ids = new ArrayList<>(first.stream().map(event -> event.id()).toList());
    rest.forEach(event -> ids.add(event.get("id")));
    assertThat(ids).containsExactlyElementsOf(IntStream.rangeClosed(1, 31).mapToObj(seq -> "1." + seq).toList());
    assertThat(rest.get(rest.size() - 1).get("event")).isEqualTo("done");
    // and: the stream's job id is no capability for another user, and no async job to list or read
    problem(authorized(OTHER).get().uri("/v1/jobs/{id}/events", id).accept(MediaType.TEXT_EVENT_STREAM).exchange()
        .expectStatus().isNotFound());
    problem(authorized(USER).get().uri("/v1/jobs/{id}", id).exchange().expectStatus().isNotFound());
  }

  @Test
  void shouldOnlyMoveAJobForwardWhateverOrderStatusesArriveIn() throws Exception {
    // given: a running job (attempt 1)
    String id = accept(USER, null, "{\"prompt\":\"scenario:hold\"}");
    awaitStatus(USER, id, "running");

    // when: a later attempt starts, an older attempt's RUNNING arrives late, then the later attempt succeeds
    worker().send(status(id, JobState.RUNNING, 3));
    worker().send(status(id, JobState.RUNNING, 2));
    worker().send(status(id, JobState.SUCCEEDED, 3));
    JsonNode succeeded = awaitStatus(USER, id, "succeeded");
    assertThat(attempt(id)).isEqualTo(3);

    // and: after the end, a failure, a RUNNING of a new attempt and the same end again arrive
    worker().send(status(id, JobState.FAILED, 4));
    worker().send(status(id, JobState.RUNNING, 5));
    worker().send(status(id, JobState.SUCCEEDED, 3));
    awaitStatusesApplied();

    // then: the first end stands, unchanged
    JsonNode after = job(USER, id);
    assertThat(after.toString()).isEqualTo(succeeded.toString());
    assertThat(after.get("result").get("content").asString()).isEqualTo("final");
    assertThat(attempt(id)).isEqualTo(3);
  }

  @Test
  void shouldRejectBadKeysCallbackUrlsAndMetadataWithoutCreatingAJob() {
    String user = user("jobs-it-bad-input");
    String longKey = "k".repeat(256);
    for (String key : List.of("has space", longKey, "semi;colon", "é")) {
      JsonNode problem = problem(submit(user, key, "{\"prompt\":\"Say hello\"}").expectStatus().isBadRequest());
      assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo("Idempotency-Key");
      assertThat(problem.toString()).doesNotContain(key);
    }
    for (String callback : List.of("http://hooks.example.com/ai", "ftp://example.com/", "/relative", "https://a@b.example/")) {
      JsonNode problem = problem(submit(user, null, "{\"prompt\":\"Say hello\",\"callbackUrl\":\"" + callback + "\"}")
          .expectStatus().isBadRequest());
      assertThat(problem.get("errors").get(0).get("field").asString()).isEqualTo("callbackUrl");
    }
    String big = "x".repeat(4_100);
    assertThat(problem(submit(user, null, "{\"prompt\":\"Say hello\",\"metadata\":{\"a\":\"" + big + "\"}}")
        .expectStatus().isBadRequest()).get("errors").get(0).get("field").asString()).isEqualTo("metadata");
    problem(submit(user, null, "{\"prompt\":\"Say hello\",\"metadata\":{\"a\":1}}").expectStatus().isBadRequest());
    problem(submit(user, null, "{\"prompt\":\"Say hello\",\"metadata\":{\"a\":null}}").expectStatus().isBadRequest());
    problem(submit(user, null, "{\"prompt\":\"Say hello\",\"api_base\":\"https://evil.example\"}").expectStatus().isBadRequest());
    problem(submit(user, null, "{\"prompt\":\"Say hello\",\"maxTokens\":5000}").expectStatus().isBadRequest());
    assertThat(rows(user)).isZero();
    // and: a Free user cannot create jobs
    String free = "jobs-it-free";
    TestCredentials.createUser(TestHttp.bindToServer().baseUrl("http://localhost:" + port).build(), free, "free");
    assertThat(problem(submit(free, null, "{\"prompt\":\"Say hello\"}").expectStatus().isForbidden()).get("code").asString())
        .isEqualTo("ENTITLEMENT_REQUIRED");
  }

  @Test
  void shouldDocumentTheJobRoutesInOpenApi() {
    authorized(USER).get().uri("/v3/api-docs").exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.paths['/v1/jobs'].post").exists()
        .jsonPath("$.paths['/v1/jobs'].get").exists()
        .jsonPath("$.paths['/v1/jobs/{id}'].get").exists()
        .jsonPath("$.paths['/v1/jobs/{id}/cancel'].post").exists()
        .jsonPath("$.paths['/v1/jobs/{id}/events'].get").exists()
        .jsonPath("$.components.schemas.JobRequest.properties.callbackUrl").exists();
  }

  // --- helpers

  private record Outcome(int status, JsonNode body) {
  }

  private static AsyncTestWorker worker() {
    return java.util.Objects.requireNonNull(worker);
  }

  private String user(String id) {
    if (users.add(id + "@" + port)) {
      TestCredentials.createUser(TestHttp.bindToServer().baseUrl("http://localhost:" + port).build(), id, "pro");
    }
    return id;
  }

  private static String bearer(String user) {
    return "Bearer " + TestCredentials.jwt(user);
  }

  private WebTestClient authorized(String user) {
    return TestHttp.bindToServer().baseUrl("http://localhost:" + port)
        .defaultHeader(HttpHeaders.AUTHORIZATION, bearer(user))
        .responseTimeout(Duration.ofSeconds(20))
        .build();
  }

  private WebTestClient.ResponseSpec submit(String user, @Nullable String key, String body) {
    WebTestClient.RequestBodySpec request = authorized(user).post().uri("/v1/jobs").contentType(MediaType.APPLICATION_JSON);
    if (key != null) {
      request = request.header(JobsController.IDEMPOTENCY_KEY, key);
    }
    return request.bodyValue(body).exchange();
  }

  private String accept(String user, @Nullable String key, String body) {
    byte[] answer = submit(user, key, body).expectStatus().isAccepted().expectBody().returnResult().getResponseBodyContent();
    return json.readTree(answer).get("id").asString();
  }

  private JsonNode problem(WebTestClient.ResponseSpec response) {
    byte[] body = response.expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().returnResult().getResponseBodyContent();
    return json.readTree(body);
  }

  private JsonNode job(String user, String id) {
    return json.readTree(authorized(user).get().uri("/v1/jobs/{id}", id).exchange().expectStatus().isOk()
        .expectBody().returnResult().getResponseBodyContent());
  }

  private JsonNode awaitStatus(String user, String id, String status) {
    return await().atMost(Duration.ofSeconds(15)).ignoreExceptions() // 404 until a republished row is visible
        .until(() -> job(user, id), job -> job.get("status").asString().equals(status));
  }

  private JsonNode list(String user, String query) {
    return json.readTree(authorized(user).get().uri("/v1/jobs" + query).exchange().expectStatus().isOk()
        .expectBody().returnResult().getResponseBodyContent());
  }

  private JsonNode webhookSecret(String user) {
    return json.readTree(authorized(user).get().uri("/v1/webhook-secret").exchange()
        .expectStatus().isOk().expectBody().returnResult().getResponseBodyContent());
  }

  private List<Map<String, String>> events(String id, @Nullable String lastEventId) {
    WebTestClient.RequestHeadersSpec<?> request = authorized(USER).get().uri("/v1/jobs/{id}/events", id)
        .accept(MediaType.TEXT_EVENT_STREAM);
    if (lastEventId != null) {
      request = request.header("Last-Event-ID", lastEventId);
    }
    byte[] raw = request.exchange().expectStatus().isOk().expectBody(byte[].class).returnResult().getResponseBody();
    return parseSse(raw == null ? "" : new String(raw, StandardCharsets.UTF_8));
  }

  /** Events with an id or a name; comments (keep-alives) left out. */
  static List<Map<String, String>> parseSse(String text) {
    List<Map<String, String>> events = new ArrayList<>();
    for (String block : text.split("\n\n")) {
      Map<String, String> event = new LinkedHashMap<>();
      for (String line : block.split("\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          event.put(line.substring(0, colon), line.substring(colon + 1).stripLeading());
        }
      }
      if (event.containsKey("event")) {
        events.add(event);
      }
    }
    return events;
  }

  private static JobStatus status(String id, JobState state, int attempt) {
    JobStatus.Builder builder = JobStatus.newBuilder().setJobId(id).setUserId(USER).setState(state).setAttempt(attempt)
        .setWorkerId("it").setTimestamp(Instant.now());
    if (state == JobState.SUCCEEDED) {
      builder.setOutput(JobResult.newBuilder().setContent(attempt == 3 ? "final" : "late").setProvider("openai")
          .setModel("m").setFinishReason("stop").build());
    } else if (state == JobState.FAILED) {
      builder.setError(ai.gateway.schemas.v1.ErrorInfo.newBuilder().setCode(ai.gateway.schemas.v1.ErrorCode.PROVIDER_ERROR)
          .setMessage("late").setRetryable(true).build());
    }
    return builder.build();
  }

  /** Waits until the gateways' consumer group has committed every record of {@code ai.job-status}. */
  private static void awaitStatusesApplied() {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString()))) {
      await().atMost(Duration.ofSeconds(15)).until(() -> {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("api-gateway.job-status")
            .partitionsToOffsetAndMetadata().get();
        Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        for (int p = 0; p < 3; p++) {
          latest.put(new TopicPartition(Topics.JOB_STATUS.defaultName(), p), OffsetSpec.latest());
        }
        return admin.listOffsets(latest).all().get().entrySet().stream().allMatch(end -> {
          OffsetAndMetadata at = committed.get(end.getKey());
          return end.getValue().offset() == 0 || (at != null && at.offset() >= end.getValue().offset());
        });
      });
    }
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(DATABASE.jdbcUrl(), TestPostgres.USER, TestPostgres.PASSWORD);
  }

  private long rows(String user) {
    return query("select count(*) from jobs where user_id = ?", user).stream().mapToLong(Long::parseLong).sum();
  }

  private long rowsWithKey(String user, String key) {
    return query("select count(*) from jobs where user_id = ? and idempotency_key = '" + key + "'", user).stream()
        .mapToLong(Long::parseLong).sum();
  }

  private List<String> acceptStates(String user) {
    return query("select accept_state from jobs where user_id = ?", user);
  }

  private List<String> rowIds(String user) {
    return query("select id::text from jobs where user_id = ?", user);
  }

  private String callbackState(String id) {
    try (Connection db = connect();
         PreparedStatement select = db.prepareStatement("select coalesce(callback_state, '') from jobs where id = ?::uuid")) {
      select.setString(1, id);
      try (ResultSet rows = select.executeQuery()) {
        rows.next();
        return rows.getString(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private int attempt(String id) {
    try (Connection db = connect(); PreparedStatement select = db.prepareStatement("select attempt from jobs where id = ?::uuid")) {
      select.setString(1, id);
      try (ResultSet rows = select.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<String> query(String sql, String user) {
    try (Connection db = connect(); PreparedStatement select = db.prepareStatement(sql)) {
      select.setString(1, user);
      List<String> values = new ArrayList<>();
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          values.add(rows.getString(1));
        }
      }
      return values;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> names(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.propertyNames().forEach(names::add);
    return names;
  }

  /** The real Kafka publisher, made to fail or to wait by a test. */
  static final class FaultInjectingPublisher implements JobPublisher {

    private final JobPublisher kafka;
    volatile boolean failing;
    private volatile Sinks.@Nullable Empty<Void> gate;

    FaultInjectingPublisher(JobPublisher kafka) {
      this.kafka = kafka;
    }

    void hold() {
      gate = Sinks.empty();
    }

    void open() {
      Sinks.Empty<Void> current = gate;
      gate = null;
      if (current != null) {
        current.tryEmitEmpty();
      }
    }

    @Override
    public Mono<Void> publish(GenerationJob job) {
      return Mono.defer(() -> {
        if (failing) {
          return Mono.error(ApiError.of(ErrorCode.UNAVAILABLE, "The job queue is unavailable; try again later.")
              .withRetryAfter(Duration.ofSeconds(2)).exception());
        }
        Sinks.Empty<Void> current = gate;
        return (current == null ? Mono.<Void>empty() : current.asMono()).then(kafka.publish(job));
      });
    }

    @Override
    public Mono<Void> control(JobControl control) {
      return kafka.control(control);
    }
  }

  @TestConfiguration(proxyBeanMethods = false)
  static class FaultInjection {

    @Bean
    @Primary
    FaultInjectingPublisher faultInjectingPublisher(@Qualifier("jobPublisher") JobPublisher kafka) {
      return new FaultInjectingPublisher(kafka);
    }
  }
}
