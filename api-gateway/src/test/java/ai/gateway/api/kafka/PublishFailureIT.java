package ai.gateway.api.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.TestHttp;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sentry.Sentry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
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

/**
 * Kafka goes away under a running gateway: a generate request must answer 503 {@code UNAVAILABLE} with
 * {@code Retry-After} within the publish timeout, not hang. Sentry (pointed at a local HTTP server)
 * receives that reportable error, tagged with its code, and nothing for a plain 400.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("test")
@DirtiesContext
class PublishFailureIT {

  private static final String PROMPT = "a prompt that must never reach Sentry";
  private static final String USER = "publish-failure-user";
  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();
  private static final List<String> envelopes = new CopyOnWriteArrayList<>();
  private static EmbeddedKafkaKraftBroker broker;
  private static HttpServer sentry;

  @LocalServerPort
  int port;

  @BeforeAll
  static void start() throws IOException {
    broker = new EmbeddedKafkaKraftBroker(1, 1);
    broker.afterPropertiesSet();
    sentry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    sentry.createContext("/", PublishFailureIT::receiveEnvelope);
    sentry.start();
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", () -> broker.getBrokersAsString());
    registry.add("sentry.dsn", () -> "http://public@127.0.0.1:" + sentry.getAddress().getPort() + "/1");
    DATABASE.register(registry);
  }

  @AfterAll
  static void stop() {
    Sentry.close();
    sentry.stop(0);
  }

  @Test
  void shouldAnswer503WithRetryAfterWhenKafkaIsDownAndReportItToSentry() {
    WebTestClient admin = TestHttp.bindToServer().baseUrl("http://localhost:" + port).build();
    TestCredentials.createUser(admin, USER, "pro");
    WebTestClient client = TestHttp.bindToServer().baseUrl("http://localhost:" + port)
        .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(USER))
        .responseTimeout(Duration.ofSeconds(20)).build();

    // given: a rejected request, which Sentry must not hear about
    client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"prompt\":\"hi\",\"maxTokens\":0}")
        .exchange()
        .expectStatus().isBadRequest();
    // and: Kafka gone
    broker.destroy();

    // when
    long start = System.nanoTime();
    client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header("X-Request-Id", "kafka-down-sync")
        .bodyValue("{\"prompt\":\"" + PROMPT + "\"}")
        .exchange()
        .expectStatus().isEqualTo(503)
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "2")
        .expectBody()
        .jsonPath("$.code").isEqualTo("UNAVAILABLE")
        .jsonPath("$.retryable").isEqualTo(true)
        .jsonPath("$.requestId").isEqualTo("kafka-down-sync");
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

    // then: bounded by the publish timeout (3 s in the test profile), not by Kafka's defaults
    assertThat(elapsed).isLessThan(Duration.ofSeconds(6));

    // and: a stream fails the same way, before any event, as an HTTP error
    client.post().uri("/v1/generate/stream").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"prompt\":\"" + PROMPT + "\"}")
        .exchange()
        .expectStatus().isEqualTo(503)
        .expectHeader().exists(HttpHeaders.RETRY_AFTER)
        .expectBody().jsonPath("$.code").isEqualTo("UNAVAILABLE");

    await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
        assertThat(envelopes).anySatisfy(envelope -> assertThat(envelope)
            .contains("\"code\":\"UNAVAILABLE\"")
            .contains("kafka-down-sync")));
    assertThat(envelopes).noneSatisfy(envelope -> assertThat(envelope).contains("INVALID_REQUEST"));
    assertThat(envelopes).noneSatisfy(envelope -> assertThat(envelope).contains(PROMPT));
  }

  private static void receiveEnvelope(HttpExchange exchange) throws IOException {
    byte[] raw = exchange.getRequestBody().readAllBytes();
    InputStream body = new ByteArrayInputStream(raw);
    if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
      body = new GZIPInputStream(body);
    }
    envelopes.add(new String(body.readAllBytes(), StandardCharsets.UTF_8));
    exchange.sendResponseHeaders(200, -1);
    exchange.close();
  }
}
