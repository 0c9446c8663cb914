package ai.gateway.api.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.ratelimit.RateLimiter;
import ai.gateway.api.TestHttp;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
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
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The usage API on a real gateway over real PostgreSQL, with the usage aggregator's tables created by its own
 * migration and filled here with SQL, as its writer would. Exact sums, the provider breakdown, the range
 * boundaries, isolation between users, the admin views, parameter errors and database failures.
 * One window of 10 creations an hour, so that a read counted against it would show.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "gateway.rate-limit.windows[0].period=1h", "gateway.rate-limit.windows[0].limit=10"})
@ActiveProfiles("test")
@DirtiesContext
class UsageIT {

  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase().withUsageTables();
  private static final JsonMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
  private static final String OCTOBER_FIRST = "from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z";
  private static EmbeddedKafkaKraftBroker broker;

  @LocalServerPort
  int port;

  @Autowired
  DatabaseClient db;

  @Autowired
  PostgresUsage usage;

  @Autowired
  RateLimiter limiter;

  private WebTestClient client;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaKraftBroker(1, 1);
    broker.afterPropertiesSet();
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", () -> broker.getBrokersAsString());
    DATABASE.register(registry);
  }

  @AfterAll
  static void stopBroker() {
    broker.destroy();
  }

  @BeforeEach
  void setUp() {
    client = TestHttp.bindToServer().baseUrl("http://localhost:" + port).responseTimeout(Duration.ofSeconds(20)).build();
  }

  // --- GET /v1/usage

  @Test
  void shouldSumTheCallersLedgerByProviderFromInclusiveToExclusive() {
    // given: a Free user (reading usage needs no ai_access) and another user's calls in the same range
    String alice = newUser("free");
    String bob = newUser("pro");
    ledger(alice, "openai", "2026-10-01T00:00:00Z", 100, 50, 1500);           // at from: in
    ledger(alice, "openai", "2026-10-01T12:00:00Z", 200, 100, 3000);          // in, another model
    ledger(alice, "anthropic", "2026-10-01T23:59:59.999999Z", 10, 5, 7);      // last microsecond: in
    ledger(alice, "gemini", "2026-10-02T00:00:00Z", 1000, 1000, 99_999);      // at to: out
    ledger(alice, "openai", "2026-09-30T23:59:59.999999Z", 1, 1, 5);          // before from: out
    ledger(bob, "openai", "2026-10-01T06:00:00Z", 7777, 1, 123_456);          // another user: never visible

    // when
    String body = getOk("/v1/usage?" + OCTOBER_FIRST, TestCredentials.jwt(alice));

    // then: exactly the design's names, exact decimals, only the providers called
    assertThat(body).isEqualTo("""
        {"from":"2026-10-01T00:00:00Z","to":"2026-10-02T00:00:00Z","totalRequests":3,"totalTokens":465,"promptTokens":310,\
        "completionTokens":155,"costUsd":0.004507,"byProvider":{"anthropic":{"requests":1,"tokens":15,"promptTokens":10,\
        "completionTokens":5,"costUsd":0.000007},"openai":{"requests":2,"tokens":450,"promptTokens":300,\
        "completionTokens":150,"costUsd":0.0045}}}""");
    // the same with an API key, and with the range given in another offset (a '+' sent as %2B)
    String key = TestCredentials.createKey(client, alice).key();
    assertThat(client.get().uri("/v1/usage?from={from}&to={to}", "2026-10-01T02:00:00+02:00", "2026-10-01T20:00:00-04:00")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + key).exchange()
        .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody()).isEqualTo(body);
    // and bob sees his own call only
    JsonNode bobs = json(getOk("/v1/usage?" + OCTOBER_FIRST, TestCredentials.jwt(bob)));
    assertThat(bobs.get("totalRequests").asLong()).isEqualTo(1);
    assertThat(bobs.get("costUsd").decimalValue()).isEqualByComparingTo("0.123456");
    assertThat(bobs.get("byProvider").propertyNames()).containsExactly("openai");
  }

  @Test
  void shouldAnswerZerosAndNoProvidersForAUserWithoutCalls() {
    String body = getOk("/v1/usage?" + OCTOBER_FIRST, TestCredentials.jwt("never-called-" + UUID.randomUUID()));

    assertThat(body).isEqualTo("""
        {"from":"2026-10-01T00:00:00Z","to":"2026-10-02T00:00:00Z","totalRequests":0,"totalTokens":0,"promptTokens":0,\
        "completionTokens":0,"costUsd":0,"byProvider":{}}""");
  }

  @Test
  void shouldDefaultToTheCurrentUtcMonthUntilNow() {
    String carol = newUser("free");
    Instant recent = Instant.now().minusSeconds(1).truncatedTo(ChronoUnit.MICROS);
    ledger(carol, "openai", recent.toString(), 3, 4, 10);
    ledger(carol, "openai", Instant.now().plus(1, ChronoUnit.HOURS).toString(), 1000, 1000, 1000); // after now: out
    Instant before = Instant.now();

    JsonNode usage = json(getOk("/v1/usage", TestCredentials.jwt(carol)));

    Instant after = Instant.now().plus(1, ChronoUnit.MICROS);
    Instant from = Instant.parse(usage.get("from").asString());
    Instant to = Instant.parse(usage.get("to").asString());
    assertThat(to).isBetween(before, after);
    assertThat(from).isEqualTo(to.minusNanos(1).atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1)
        .atStartOfDay(ZoneOffset.UTC).toInstant());
    // one second ago is this month unless the month began within that second
    long expected = recent.isBefore(from) ? 0 : 1;
    assertThat(usage.get("totalRequests").asLong()).isEqualTo(expected);
    assertThat(usage.get("totalTokens").asLong()).isEqualTo(7 * expected);
  }

  // --- GET /v1/usage/daily

  @Test
  void shouldAnswerTodaysTokensFromTheDailyTotals() {
    String dave = newUser("free");
    String erin = newUser("pro");
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    // today and tomorrow alike, so that a run across midnight UTC still finds "today"
    for (LocalDate day : List.of(today, today.plusDays(1))) {
      daily(dave, day, "openai", "gpt-4o", 2, 200, 100, 1500);
      daily(dave, day, "anthropic", "claude-sonnet", 1, 10, 5, 7);
    }
    daily(dave, today.minusDays(1), "openai", "gpt-4o", 9, 900, 900, 9999);
    daily(erin, today, "openai", "gpt-4o", 1, 5000, 5000, 1);

    JsonNode answer = json(getOk("/v1/usage/daily", TestCredentials.jwt(dave)));

    assertThat(answer.propertyNames()).containsExactly("date", "tokens");
    assertThat(LocalDate.parse(answer.get("date").asString())).isBetween(today, today.plusDays(1));
    assertThat(answer.get("tokens").asLong()).isEqualTo(315);
  }

  @Test
  void shouldListEveryDayOfADayRangeWithZerosForDaysWithoutCalls() {
    String frank = newUser("free");
    String grace = newUser("pro");
    daily(frank, LocalDate.parse("2026-08-31"), "openai", "gpt-4o", 7, 7, 7, 7);            // before from: out
    daily(frank, LocalDate.parse("2026-09-01"), "openai", "gpt-4o", 2, 100, 50, 1500);
    daily(frank, LocalDate.parse("2026-09-01"), "anthropic", "claude-sonnet", 1, 10, 5, 7);
    daily(frank, LocalDate.parse("2026-09-03"), "gemini", "gemini-2.0-flash", 1, 1, 1, 1);
    daily(frank, LocalDate.parse("2026-09-04"), "openai", "gpt-4o", 5, 500, 500, 999);      // at to: out
    daily(grace, LocalDate.parse("2026-09-02"), "openai", "gpt-4o", 4, 400, 400, 400);      // another user

    String body = getOk("/v1/usage/daily?from=2026-09-01&to=2026-09-04", TestCredentials.jwt(frank));

    assertThat(body).isEqualTo("""
        {"days":[{"date":"2026-09-01","tokens":165,"requests":3,"costUsd":0.001507},\
        {"date":"2026-09-02","tokens":0,"requests":0,"costUsd":0},\
        {"date":"2026-09-03","tokens":2,"requests":1,"costUsd":0.000001}]}""");
  }

  // --- parameters

  @Test
  void shouldAnswer400NamingTheBadParameter() {
    String bearer = TestCredentials.jwt(newUser("free"));
    List<String[]> cases = List.of(
        new String[] {"/v1/usage?from=yesterday", "from"},
        new String[] {"/v1/usage?to=2026-13-01T00:00:00Z", "to"},
        new String[] {"/v1/usage?from=2026-10-01T00:00:00", "from"},
        new String[] {"/v1/usage?from=2026-10-02T00:00:00Z&to=2026-10-01T00:00:00Z", "from"},
        new String[] {"/v1/usage?from=2026-10-01T00:00:00Z&to=2026-10-01T00:00:00Z", "from"},
        new String[] {"/v1/usage?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"},
        new String[] {"/v1/usage?start=2026-10-01T00:00:00Z", "start"},
        new String[] {"/v1/usage?from=2026-10-01T00:00:00Z&from=2026-10-02T00:00:00Z", "from"},
        new String[] {"/v1/usage/daily?from=2026-10-05&to=2026-10-01", "from"},
        new String[] {"/v1/usage/daily?from=2026-1-1", "from"},
        new String[] {"/v1/usage/daily?to=2026-02-30", "to"},
        new String[] {"/v1/usage/daily?from=2020-01-01&to=2026-01-01", "from"});
    for (String[] bad : cases) {
      JsonNode problem = problem(get(bad[0], bearer), 400, "INVALID_REQUEST");
      assertThat(problem.get("errors").findValuesAsString("field")).as(bad[0]).containsExactly(bad[1]);
    }
    String admin = TestCredentials.ADMIN_TOKEN;
    for (String limit : List.of("0", "101", "abc", "-5")) {
      JsonNode problem = problem(get("/admin/usage/top?limit=" + limit, admin), 400, "INVALID_REQUEST");
      assertThat(problem.get("errors").findValuesAsString("field")).as(limit).containsExactly("limit");
    }
    JsonNode problem = problem(get("/admin/usage/users/" + newUser("free") + "?to=soon", admin), 400, "INVALID_REQUEST");
    assertThat(problem.get("errors").findValuesAsString("field")).containsExactly("to");
  }

  @Test
  void shouldNotCountReadsAgainstTheRateLimit() {
    String user = newUser("pro");
    String bearer = TestCredentials.jwt(user);

    for (int i = 0; i < 12; i++) {
      getOk(i % 2 == 0 ? "/v1/usage" : "/v1/usage/daily", bearer);
    }

    // the whole window of 10 creations is still there
    int admitted = 0;
    for (int i = 0; i < 11; i++) {
      if (Boolean.TRUE.equals(limiter.tryAcquire(user).map(decision -> decision.admitted()).block(Duration.ofSeconds(5)))) {
        admitted++;
      }
    }
    assertThat(admitted).isEqualTo(10);
  }

  // --- admin

  @Test
  void shouldShowTheAdminAUsersUsageAsTheUserSeesIt() {
    String henry = newUser("pro");
    ledger(henry, "openai", "2026-10-01T08:00:00Z", 40, 2, 420);
    ledger(henry, "gemini", "2026-10-01T09:00:00Z", 4, 2, 6);

    String own = getOk("/v1/usage?" + OCTOBER_FIRST, TestCredentials.jwt(henry));
    String admins = getOk("/admin/usage/users/" + henry + "?" + OCTOBER_FIRST, TestCredentials.ADMIN_TOKEN);

    assertThat(admins).isEqualTo(own);
    assertThat(json(admins).get("totalTokens").asLong()).isEqualTo(48);
    problem(get("/admin/usage/users/no-such-user-" + UUID.randomUUID(), TestCredentials.ADMIN_TOKEN), 404, "NOT_FOUND");
    problem(get("/admin/usage/users/bad%20id", TestCredentials.ADMIN_TOKEN), 404, "NOT_FOUND");
  }

  @Test
  void shouldRefuseTheAdminUsageViewsWithoutTheAdminToken() {
    String user = newUser("pro");
    String key = TestCredentials.createKey(client, user).key();
    for (String path : List.of("/admin/usage/users/" + user, "/admin/usage/top")) {
      for (String bearer : new String[] {null, "wrong-token-0123456789", key, TestCredentials.jwt(user)}) {
        EntityExchangeResult<byte[]> refused = get(path, bearer).expectBody().returnResult();
        assertThat(refused.getStatus().value()).as("%s with %s", path, bearer == null ? "nothing" : "a wrong token").isEqualTo(401);
        assertThat(new String(refused.getResponseBodyContent(), StandardCharsets.UTF_8))
            .contains("\"code\":\"UNAUTHENTICATED\"").doesNotContain("totalRequests", "users");
      }
    }
  }

  @Test
  void shouldRankTheTopUsersByCostThenTokensThenId() {
    // a range of its own: every ledger row in it is from here
    String top = "user-a-" + UUID.randomUUID();
    String tiedWithMoreTokens = "user-b-" + UUID.randomUUID();
    String tied = "user-c-" + UUID.randomUUID();
    String last = "user-d-" + UUID.randomUUID();
    ledger(top, "openai", "2024-03-01T00:00:00Z", 10, 10, 200);
    ledger(top, "anthropic", "2024-03-01T10:00:00Z", 10, 10, 100);
    ledger(tied, "openai", "2024-03-01T11:00:00Z", 5, 5, 200);
    ledger(tiedWithMoreTokens, "openai", "2024-03-01T12:00:00Z", 50, 50, 200);
    ledger(last, "gemini", "2024-03-01T23:59:59Z", 1, 1, 100);
    ledger(last, "gemini", "2024-03-02T00:00:00Z", 1, 1, 1_000_000); // at to: out

    String body = getOk("/admin/usage/top?from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z&limit=2", TestCredentials.ADMIN_TOKEN);

    assertThat(body).isEqualTo("""
        {"from":"2024-03-01T00:00:00Z","to":"2024-03-02T00:00:00Z","limit":2,"users":[\
        {"userId":"%s","requests":2,"tokens":40,"promptTokens":20,"completionTokens":20,"costUsd":0.0003},\
        {"userId":"%s","requests":1,"tokens":100,"promptTokens":50,"completionTokens":50,"costUsd":0.0002}]}"""
        .formatted(top, tiedWithMoreTokens));
    JsonNode all = json(getOk("/admin/usage/top?from=2024-03-01T00:00:00Z&to=2024-03-02T00:00:00Z", TestCredentials.ADMIN_TOKEN));
    assertThat(all.get("limit").asInt()).isEqualTo(10);
    assertThat(all.get("users").findValuesAsString("userId")).containsExactly(top, tiedWithMoreTokens, tied, last);
  }

  // --- failures

  @Test
  void shouldAnswer503WhenTheUsageTablesCannotBeRead() {
    String bearer = TestCredentials.jwt(newUser("free"));
    db.sql("alter table ai_usage rename to ai_usage_away").fetch().rowsUpdated().block(Duration.ofSeconds(5));
    try {
      EntityExchangeResult<byte[]> result = get("/v1/usage", bearer).expectBody().returnResult();
      JsonNode problem = assertProblem(result, 503, "UNAVAILABLE");
      assertThat(problem.get("retryable").asBoolean()).isTrue();
      assertThat(result.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("5");
      assertThat(problem.get("detail").asString()).doesNotContain("ai_usage", "relation");
    } finally {
      db.sql("alter table ai_usage_away rename to ai_usage").fetch().rowsUpdated().block(Duration.ofSeconds(5));
    }
  }

  @Test
  void shouldFailUnavailableWhenPostgresIsDownOrSilent() throws IOException {
    InstantRange range = new InstantRange(Instant.parse("2026-10-01T00:00:00Z"), Instant.parse("2026-10-02T00:00:00Z"));
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    StepVerifier.create(unreachable(closedPort).byProvider("u", range))
        .expectErrorSatisfies(UsageIT::assertUnavailable)
        .verify(Duration.ofSeconds(10));

    // accepts the connection and never answers: only the query timeout ends it
    try (ServerSocket silent = new ServerSocket(0)) {
      StepVerifier.create(unreachable(silent.getLocalPort()).tokensOn("u", LocalDate.parse("2026-10-01")))
          .expectErrorSatisfies(UsageIT::assertUnavailable)
          .verify(Duration.ofSeconds(10));
    }
  }

  // --- DailyTokens

  @Test
  void shouldCacheDailyTokensForAtMostTheTtlAndKeyThemByDay() {
    String user = newUser("pro");
    LocalDate day = LocalDate.parse("2026-10-01");
    Clock clock = Clock.fixed(Instant.parse("2026-10-01T12:00:00Z"), ZoneOffset.UTC);
    daily(user, day, "openai", "gpt-4o", 2, 200, 100, 1500);
    daily(user, day, "anthropic", "claude-sonnet", 1, 10, 5, 7);
    daily(user, day.minusDays(1), "openai", "gpt-4o", 1, 1000, 1000, 1);
    DailyTokens cached = new PostgresDailyTokens(usage, clock, Duration.ofSeconds(1));
    DailyTokens uncached = new PostgresDailyTokens(usage, clock, Duration.ZERO);
    assertThat(cached.today(user).block(Duration.ofSeconds(5))).isEqualTo(315);

    daily(user, day, "openai", "gpt-4o", 3, 300, 100, 2000);

    assertThat(uncached.today(user).block(Duration.ofSeconds(5))).isEqualTo(415);
    assertThat(cached.today(user).block(Duration.ofSeconds(5))).isEqualTo(315);
    await().atMost(Duration.ofSeconds(5)).until(() -> Long.valueOf(415).equals(cached.today(user).block(Duration.ofSeconds(5))));
    assertThat(cached.today("nobody-" + UUID.randomUUID()).block(Duration.ofSeconds(5))).isZero();
  }

  @Test
  void shouldDocumentTheUserRoutesInOpenApiButNotTheAdminOnes() {
    client.get().uri("/v3/api-docs").exchange()
        .expectStatus().isOk()
        .expectBody()
        .jsonPath("$.paths['/v1/usage'].get.parameters[?(@.name == 'from')]").exists()
        .jsonPath("$.paths['/v1/usage'].get.parameters[?(@.name == 'to')]").exists()
        .jsonPath("$.paths['/v1/usage/daily'].get.parameters[?(@.name == 'from')]").exists()
        .jsonPath("$.components.schemas.UsageBody.properties.byProvider").exists()
        .jsonPath("$.paths['/admin/usage/top']").doesNotExist();
  }

  // --- helpers

  private PostgresUsage unreachable(int port) {
    var factory = ConnectionFactories.get(ConnectionFactoryOptions.parse("r2dbc:postgresql://localhost:" + port + "/none").mutate()
        .option(ConnectionFactoryOptions.USER, TestPostgres.USER)
        .option(ConnectionFactoryOptions.PASSWORD, TestPostgres.PASSWORD)
        .build());
    return new PostgresUsage(DatabaseClient.create(factory), Duration.ofMillis(500));
  }

  private static void assertUnavailable(Throwable failure) {
    assertThat(failure).isInstanceOf(ApiException.class);
    ApiException api = (ApiException) failure;
    assertThat(api.error().code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(api.error().retryable()).isTrue();
    assertThat(api.error().retryAfter()).isEqualTo(Duration.ofSeconds(5));
  }

  private void ledger(String user, String provider, String occurredAt, long prompt, long completion, long costMicroUsd) {
    db.sql("""
            insert into ai_usage (event_id, user_id, job_id, delivery, provider_attempt, provider, model, prompt_tokens,
                completion_tokens, total_tokens, estimated, cost_micro_usd, price_known, outcome, occurred_at)
            values (:event, :user, :job, 1, 1, :provider, :model, :prompt, :completion, :total, false, :cost, true,
                'succeeded', :at)""")
        .bind("event", UUID.randomUUID().toString())
        .bind("user", user)
        .bind("job", UUID.randomUUID().toString())
        .bind("provider", provider)
        .bind("model", provider + "-model")
        .bind("prompt", prompt)
        .bind("completion", completion)
        .bind("total", prompt + completion)
        .bind("cost", costMicroUsd)
        .bind("at", Instant.parse(occurredAt).atOffset(ZoneOffset.UTC))
        .fetch().rowsUpdated().block(Duration.ofSeconds(5));
  }

  /** Upserts absolute totals, as the aggregator's writer does. */
  private void daily(String user, LocalDate day, String provider, String model, long requests, long prompt, long completion,
                     long costMicroUsd) {
    db.sql("""
            insert into ai_usage_daily_totals (user_id, day, provider, model, requests, prompt_tokens, completion_tokens,
                total_tokens, cost_micro_usd, estimated_requests, updated_at)
            values (:user, :day, :provider, :model, :requests, :prompt, :completion, :total, :cost, 0, now())
            on conflict (user_id, day, provider, model) do update set requests = excluded.requests,
                prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
                total_tokens = excluded.total_tokens, cost_micro_usd = excluded.cost_micro_usd, updated_at = now()""")
        .bind("user", user)
        .bind("day", day)
        .bind("provider", provider)
        .bind("model", model)
        .bind("requests", requests)
        .bind("prompt", prompt)
        .bind("completion", completion)
        .bind("total", prompt + completion)
        .bind("cost", costMicroUsd)
        .fetch().rowsUpdated().block(Duration.ofSeconds(5));
  }

  private String newUser(String plan) {
    String id = plan + "-" + UUID.randomUUID();
    TestCredentials.createUser(client, id, plan);
    return id;
  }

  private WebTestClient.ResponseSpec get(String pathAndQuery, @Nullable String bearer) {
    WebTestClient.RequestHeadersSpec<?> request = client.get().uri(URI.create("http://localhost:" + port + pathAndQuery));
    if (bearer != null) {
      request = request.header(HttpHeaders.AUTHORIZATION, "Bearer " + bearer);
    }
    return request.exchange();
  }

  private String getOk(String pathAndQuery, String bearer) {
    EntityExchangeResult<byte[]> result = get(pathAndQuery, bearer).expectBody().returnResult();
    String body = new String(result.getResponseBodyContent(), StandardCharsets.UTF_8);
    assertThat(result.getStatus().value()).as("%s: %s", pathAndQuery, body).isEqualTo(200);
    assertThat(result.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
    return body;
  }

  private static JsonNode json(String body) {
    return JSON.readTree(body);
  }

  private static JsonNode problem(WebTestClient.ResponseSpec response, int status, String code) {
    return assertProblem(response.expectBody().returnResult(), status, code);
  }

  private static JsonNode assertProblem(EntityExchangeResult<byte[]> result, int status, String code) {
    String text = new String(result.getResponseBodyContent(), StandardCharsets.UTF_8);
    assertThat(result.getStatus().value()).as(text).isEqualTo(status);
    assertThat(result.getResponseHeaders().getContentType()).isNotNull()
        .satisfies(type -> assertThat(type.isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)).isTrue());
    JsonNode problem = JSON.readTree(text);
    assertThat(problem.get("code").asString()).isEqualTo(code);
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("requestId").asString()).isNotBlank();
    assertThat(Set.of("Exception", "\tat ")).noneMatch(text::contains);
    return problem;
  }
}
