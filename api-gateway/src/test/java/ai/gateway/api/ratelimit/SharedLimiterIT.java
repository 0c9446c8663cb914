package ai.gateway.api.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import ai.gateway.api.GatewayApplication;
import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.generate.TestWorker;
import ai.gateway.api.TestHttp;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.test.StepVerifier;

/**
 * Two gateway instances (two Spring contexts in this JVM) sharing one PostgreSQL limiter, one broker and one
 * database, with the test profile's scaled windows: 10 per 2 s and 60 per 12 s. Judged from the client's
 * own log of when each admitted request was sent and answered, never from the limiter's state. The last
 * test stops PostgreSQL (this class's own server) and expects both instances to fail closed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SharedLimiterIT {

  private static final Duration WINDOW = Duration.ofSeconds(2);
  private static final int LIMIT = 10;
  private static final Duration LONG_WINDOW = Duration.ofSeconds(12);
  private static final int LONG_LIMIT = 60;
  private static final Duration CACHE_TTL = Duration.ofSeconds(1);
  private static final String BODY = "{\"prompt\":\"Say hello\"}";
  private static final String INVALID_BODY = "{\"prompt\":\"hi\",\"maxTokens\":0}";

  private static EmbeddedPostgres postgres;
  private static boolean postgresStopped;
  private static EmbeddedKafkaKraftBroker broker;
  private static ConfigurableApplicationContext first;
  private static ConfigurableApplicationContext second;
  private static @Nullable TestWorker worker;
  private static ConnectionProvider connections;
  private static WebClient http;

  @BeforeAll
  static void start() {
    postgres = TestPostgres.startServer();
    TestPostgres.Database database = TestPostgres.createDatabase(postgres, "shared_limiter");
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.afterPropertiesSet();
    first = gateway(database);
    second = gateway(database);
    worker = new TestWorker(broker.getBrokersAsString());
    connections = ConnectionProvider.builder("shared-limiter-it").maxConnections(200).build();
    http = WebClient.builder().clientConnector(TestHttp.connector(connections)).build();
  }

  private static ConfigurableApplicationContext gateway(TestPostgres.Database database) {
    // Command-line arguments: they win over application.yml (builder "properties" are only defaults).
    Map<String, String> settings = Map.of(
        "server.port", "0",
        "spring.kafka.bootstrap-servers", broker.getBrokersAsString(),
        "spring.r2dbc.url", database.r2dbcUrl(),
        "spring.r2dbc.username", TestPostgres.USER,
        "spring.r2dbc.password", TestPostgres.PASSWORD,
        "spring.flyway.url", database.jdbcUrl(),
        "spring.flyway.user", TestPostgres.USER,
        "spring.flyway.password", TestPostgres.PASSWORD,
        "gateway.rate-limit.store", "postgres");
    return new SpringApplicationBuilder(GatewayApplication.class)
        .profiles("test")
        .run(settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (first != null) {
      first.close();
    }
    if (second != null) {
      second.close();
    }
    if (worker != null) {
      worker.close();
    }
    if (connections != null) {
      connections.dispose();
    }
    broker.destroy();
    if (!postgresStopped) {
      TestPostgres.close(postgres);
    }
  }

  /** One request as the client saw it: when it was sent and answered (nanoTime), by which instance, and how. */
  private record Outcome(int instance, long sent, long received, int status, @Nullable String retryAfter, String body) {

    boolean admitted() {
      return status == 200;
    }
  }

  @Test
  @Order(1)
  void shouldAdmitNoMoreThanTheLimitInAnyWindowAcrossTwoInstancesAtAWindowEdge() {
    warmUp();
    String user = "edge-" + UUID.randomUUID();
    TestCredentials.createUser(client(first), user, "pro");
    String bearer = "Bearer " + TestCredentials.createKey(client(first), user).key();

    // given: 11 requests at once, split across the two instances (ATTACKS 20)
    List<Outcome> burst = Flux.range(0, LIMIT + 1)
        .flatMap(i -> generate(i % 2 == 0 ? first : second, bearer, 0), LIMIT + 1)
        .collectList().block(Duration.ofSeconds(30));
    assertThat(burst).filteredOn(Outcome::admitted).hasSize(LIMIT);
    assertThat(burst).filteredOn(outcome -> outcome.status() == 429).singleElement()
        .satisfies(SharedLimiterIT::assertRateLimited);

    // when: 50 more, concurrently, spread across the moment the burst's window ends
    long burstStart = burst.stream().mapToLong(Outcome::sent).min().orElseThrow();
    long burstEnd = burst.stream().filter(Outcome::admitted).mapToLong(Outcome::received).max().orElseThrow();
    long from = burstStart + WINDOW.toNanos() - Duration.ofMillis(250).toNanos();
    long to = burstEnd + WINDOW.toNanos() + Duration.ofMillis(250).toNanos();
    int requests = 50;
    List<Outcome> edge = Flux.range(0, requests)
        .flatMap(i -> generate(i % 2 == 0 ? first : second, bearer, from + (to - from) * i / (requests - 1)), requests)
        .collectList().block(Duration.ofSeconds(60));

    // then: every answer is an admission or a 429 with Retry-After; the window slid, without a second burst
    assertThat(edge).allSatisfy(outcome -> {
      assertThat(outcome.status()).isIn(200, 429);
      if (outcome.status() == 429) {
        assertRateLimited(outcome);
      }
    });
    long admittedAtEdge = edge.stream().filter(Outcome::admitted).count();
    assertThat(admittedAtEdge).isBetween(1L, (long) LIMIT);
    List<Outcome> admitted = new ArrayList<>(burst);
    admitted.addAll(edge);
    admitted.removeIf(outcome -> !outcome.admitted());
    assertAtMost(LIMIT, WINDOW, admitted);
    assertAtMost(LONG_LIMIT, LONG_WINDOW, admitted);
    assertThat(admitted).extracting(Outcome::instance).contains(1, 2);
    System.out.printf("shared limiter at a window edge: burst %d admitted of %d, edge %d admitted of %d, in %d ms%n",
        LIMIT, burst.size(), admittedAtEdge, edge.size(), (to - burstStart) / 1_000_000);
  }

  @Test
  @Order(2)
  void shouldSeeAPlanChangeAndAKeyRevocationFromTheOtherInstanceWithinTheCacheTtl() {
    String user = "ttl-" + UUID.randomUUID();
    TestCredentials.createUser(client(first), user, "pro");
    TestCredentials.NewKey key = TestCredentials.createKey(client(first), user);
    // An invalid body answers 400 to a Pro user and 403 to a Free one (entitlement comes first) without
    // counting against the limit, so the instances can be asked as often as needed.
    assertThat(probe(second, key.key()).status()).isEqualTo(400); // cached as Pro on the second instance

    // when: downgraded through the first instance
    TestCredentials.setPlan(client(first), user, "free");
    long changed = System.nanoTime();

    // then
    assertThat(probe(first, key.key()).status()).isEqualTo(403);
    await().atMost(CACHE_TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(50))
        .until(() -> probe(second, key.key()).status() == 403);
    assertThat(Duration.ofNanos(System.nanoTime() - changed)).isLessThanOrEqualTo(CACHE_TTL.plusMillis(700));

    // given: Pro again, seen by both
    TestCredentials.setPlan(client(first), user, "pro");
    await().atMost(CACHE_TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(50))
        .until(() -> probe(second, key.key()).status() == 400);

    // when: the key is revoked through the first instance
    TestCredentials.revokeKey(client(first), key.id());
    long revoked = System.nanoTime();

    // then
    assertThat(probe(first, key.key()).status()).isEqualTo(401);
    await().atMost(CACHE_TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(50))
        .until(() -> probe(second, key.key()).status() == 401);
    assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThanOrEqualTo(CACHE_TTL.plusMillis(700));
  }

  @Test
  @Order(3)
  void shouldFailClosedWhenPostgresIsDown() {
    String user = "down-" + UUID.randomUUID();
    TestCredentials.createUser(client(first), user, "pro");
    String bearer = "Bearer " + TestCredentials.jwt(user);
    assertThat(generate(first, bearer, 0).block(Duration.ofSeconds(20)).status()).isEqualTo(200);

    // when
    TestPostgres.close(postgres);
    postgresStopped = true;

    // then: the limiter refuses rather than admitting without a count
    StepVerifier.create(first.getBean(RateLimiter.class).tryAcquire(user))
        .expectErrorSatisfies(e -> {
          assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.UNAVAILABLE);
          assertThat(((ApiException) e).error().retryable()).isTrue();
        })
        .verify(Duration.ofSeconds(10));
    for (ConfigurableApplicationContext gateway : List.of(first, second)) {
      String requestId = "pg-down-" + UUID.randomUUID();
      client(gateway).post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
          .header(HttpHeaders.AUTHORIZATION, bearer).header("X-Request-Id", requestId).bodyValue(BODY)
          .exchange()
          .expectStatus().isEqualTo(503)
          .expectHeader().exists(HttpHeaders.RETRY_AFTER)
          .expectBody()
          .jsonPath("$.code").isEqualTo("UNAVAILABLE")
          .jsonPath("$.retryable").isEqualTo(true);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> !worker().sawRequest(requestId));
    }
  }

  // --- helpers

  private static void warmUp() {
    String user = "warm-up-" + UUID.randomUUID();
    TestCredentials.createUser(client(first), user, "pro");
    String bearer = "Bearer " + TestCredentials.jwt(user);
    Flux.range(0, 8).concatMap(i -> generate(i % 2 == 0 ? first : second, bearer, 0)).blockLast(Duration.ofSeconds(30));
  }

  /** A generate call sent at {@code at} (nanoTime; 0: now), through the given instance. */
  private static Mono<Outcome> generate(ConfigurableApplicationContext gateway, String bearer, long at) {
    int instance = gateway == first ? 1 : 2;
    Duration wait = Duration.ofNanos(Math.max(0, at - System.nanoTime()));
    return Mono.delay(wait).then(Mono.defer(() -> {
      long sent = System.nanoTime();
      return http.post().uri(baseUrl(gateway) + "/v1/generate")
          .header(HttpHeaders.AUTHORIZATION, bearer)
          .contentType(MediaType.APPLICATION_JSON)
          .bodyValue(BODY)
          .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
              .map(body -> new Outcome(instance, sent, System.nanoTime(), response.statusCode().value(),
                  response.headers().asHttpHeaders().getFirst(HttpHeaders.RETRY_AFTER), body)));
    }));
  }

  private static Outcome probe(ConfigurableApplicationContext gateway, String key) {
    return http.post().uri(baseUrl(gateway) + "/v1/generate")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + key)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(INVALID_BODY)
        .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
            .map(body -> new Outcome(gateway == first ? 1 : 2, 0, 0, response.statusCode().value(), null, body)))
        .block(Duration.ofSeconds(10));
  }

  /**
   * Whether the admissions could have respected "at most {@code limit} in any {@code period}". The true
   * admission time of a request lies between its sending and its answer, so a set of limit + 1 admitted
   * requests proves a violation only if all of them were sent and answered within less than one period.
   * The tightest such set is found by taking each request's sending as the start and the limit + 1
   * earliest answers among requests sent from then on.
   */
  private static void assertAtMost(int limit, Duration period, List<Outcome> admitted) {
    for (Outcome start : admitted) {
      List<Long> answers = admitted.stream().filter(o -> o.sent() >= start.sent()).map(Outcome::received)
          .sorted(Comparator.naturalOrder()).toList();
      if (answers.size() > limit) {
        long span = answers.get(limit) - start.sent();
        assertThat(Duration.ofNanos(span))
            .as("%d admitted requests were sent and answered within %s", limit + 1, period)
            .isGreaterThanOrEqualTo(period);
      }
    }
  }

  private static void assertRateLimited(Outcome outcome) {
    assertThat(outcome.body()).contains("\"code\":\"RATE_LIMITED\"");
    assertThat(outcome.retryAfter()).isNotNull();
    assertThat(Long.parseLong(outcome.retryAfter())).isBetween(1L, LONG_WINDOW.toSeconds());
  }

  private static WebTestClient client(ConfigurableApplicationContext gateway) {
    return TestHttp.bindToServer().baseUrl(baseUrl(gateway)).responseTimeout(Duration.ofSeconds(20)).build();
  }

  private static String baseUrl(ConfigurableApplicationContext gateway) {
    return "http://localhost:" + ((WebServerApplicationContext) gateway).getWebServer().getPort();
  }

  private static TestWorker worker() {
    if (worker == null) {
      throw new IllegalStateException("worker not started");
    }
    return worker;
  }
}
