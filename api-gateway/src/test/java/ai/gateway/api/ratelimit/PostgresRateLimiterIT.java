package ai.gateway.api.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

import ai.gateway.api.TestPostgres;
import ai.gateway.api.config.GatewayProperties.RateLimit.Window;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * The PostgreSQL limiter against a real database (the gateway's own migration), without a Spring context:
 * atomicity under concurrency, "a rejection records nothing", Retry-After from the stored log, failing
 * closed, and the latency of one check.
 */
class PostgresRateLimiterIT {

  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();
  private static ConnectionPool pool;
  private static DatabaseClient db;
  private static TransactionalOperator transactions;

  @BeforeAll
  static void migrate() {
    Flyway.configure().dataSource(DATABASE.jdbcUrl(), TestPostgres.USER, TestPostgres.PASSWORD)
        .table("flyway_schema_history_gateway").load().migrate();
    ConnectionFactory factory = ConnectionFactories.get(ConnectionFactoryOptions.parse(DATABASE.r2dbcUrl()).mutate()
        .option(ConnectionFactoryOptions.USER, TestPostgres.USER)
        .option(ConnectionFactoryOptions.PASSWORD, TestPostgres.PASSWORD)
        .build());
    pool = new ConnectionPool(ConnectionPoolConfiguration.builder(factory).initialSize(4).maxSize(20).build());
    db = DatabaseClient.create(pool);
    transactions = TransactionalOperator.create(new R2dbcTransactionManager(pool));
  }

  @AfterAll
  static void close() {
    pool.dispose();
  }

  @Test
  void shouldAdmitExactlyTheLimitWhenManyChecksOfOneUserRace() {
    RateLimiter limiter = limiter(new Window(Duration.ofHours(1), 10), new Window(Duration.ofDays(1), 60));
    String user = user();

    List<RateLimitDecision> decisions = Flux.range(0, 100)
        .flatMap(i -> limiter.tryAcquire(user), 50)
        .collectList()
        .block(Duration.ofSeconds(30));

    assertThat(decisions).filteredOn(RateLimitDecision::admitted).hasSize(10);
    assertThat(decisions).filteredOn(decision -> !decision.admitted())
        .hasSize(90)
        .allSatisfy(decision -> assertThat(decision.retryAfter()).isGreaterThan(Duration.ofMinutes(59)));
    assertThat(storedLog(user)).hasSize(10);
  }

  @Test
  void shouldRecordNothingForARejection() {
    RateLimiter limiter = limiter(new Window(Duration.ofHours(1), 3));
    String user = user();
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire(user).block(Duration.ofSeconds(5)).admitted()).isTrue();
    }
    String before = row(user);

    assertThat(limiter.tryAcquire(user).block(Duration.ofSeconds(5)).admitted()).isFalse();

    assertThat(row(user)).isEqualTo(before);
  }

  @Test
  void shouldAnswerRetryAfterFromTheStoredLogAndAdmitAgainWhenItSlides() {
    RateLimiter limiter = limiter(new Window(Duration.ofMillis(800), 2));
    String user = user();
    limiter.tryAcquire(user).block(Duration.ofSeconds(5));
    limiter.tryAcquire(user).block(Duration.ofSeconds(5));

    RateLimitDecision rejected = limiter.tryAcquire(user).block(Duration.ofSeconds(5));

    assertThat(rejected.admitted()).isFalse();
    assertThat(rejected.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(800));
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(100))
        .until(() -> limiter.tryAcquire(user).block(Duration.ofSeconds(5)).admitted());
  }

  @Test
  void shouldFailClosedWhenTheDatabaseCannotBeReached() {
    ConnectionFactory nowhere = ConnectionFactories.get(ConnectionFactoryOptions.parse("r2dbc:postgresql://127.0.0.1:1/none")
        .mutate().option(ConnectionFactoryOptions.USER, "x").option(ConnectionFactoryOptions.PASSWORD, "x").build());
    RateLimiter limiter = new PostgresRateLimiter(DatabaseClient.create(nowhere),
        TransactionalOperator.create(new R2dbcTransactionManager(nowhere)),
        new SlidingWindowLog(List.of(new Window(Duration.ofMinutes(1), 10))), Duration.ofSeconds(2), Duration.ofSeconds(5));

    StepVerifier.create(limiter.tryAcquire("u"))
        .expectErrorSatisfies(e -> {
          assertThat(e).isInstanceOf(ApiException.class);
          assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.UNAVAILABLE);
          assertThat(((ApiException) e).error().retryAfterSeconds()).isEqualTo(5);
        })
        .verify(Duration.ofSeconds(10));
  }

  /**
   * Not a timed assertion: prints what one check costs, for the architecture notes. Sequential checks of 40
   * users with the design's windows (so most are rejections once each user's 10 are used), after a warm-up.
   */
  @Test
  void shouldReportTheLatencyOfOneCheck() {
    List<Window> windows = List.of(new Window(Duration.ofMinutes(1), 10), new Window(Duration.ofHours(1), 60));
    RateLimiter postgres = limiter(windows.toArray(Window[]::new));
    RateLimiter memory = new InMemoryRateLimiter(new SlidingWindowLog(windows), InMemoryRateLimiter.monotonicMicros());

    Stats pg = measure(postgres, 40, 25);
    Stats mem = measure(memory, 40, 25);

    System.out.printf("rate limiter latency per check (%d sequential checks, %d admitted): postgres p50=%d us p99=%d us;"
        + " memory p50=%d us p99=%d us%n", pg.count(), pg.admitted(), pg.p50(), pg.p99(), mem.p50(), mem.p99());
    assertThat(pg.admitted()).isEqualTo(40 * 10);
    assertThat(mem.admitted()).isEqualTo(40 * 10);
  }

  private record Stats(int count, int admitted, long p50, long p99) {
  }

  private static Stats measure(RateLimiter limiter, int users, int perUser) {
    String warmUp = user();
    for (int i = 0; i < 200; i++) {
      limiter.tryAcquire(warmUp + (i % 20)).block(Duration.ofSeconds(5));
    }
    List<Long> micros = new ArrayList<>();
    int admitted = 0;
    List<String> ids = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      ids.add(user());
    }
    for (int round = 0; round < perUser; round++) {
      for (String id : ids) {
        long start = System.nanoTime();
        RateLimitDecision decision = limiter.tryAcquire(id).block(Duration.ofSeconds(5));
        micros.add((System.nanoTime() - start) / 1000);
        admitted += decision.admitted() ? 1 : 0;
      }
    }
    Collections.sort(micros);
    return new Stats(micros.size(), admitted, micros.get(micros.size() / 2), micros.get((int) (micros.size() * 0.99)));
  }

  private static RateLimiter limiter(Window... windows) {
    return new PostgresRateLimiter(db, transactions, new SlidingWindowLog(List.of(windows)), Duration.ofSeconds(5),
        Duration.ofSeconds(5));
  }

  private static String user() {
    return "limiter-it-" + UUID.randomUUID();
  }

  private static Long[] storedLog(String user) {
    return query(() -> db.sql("select admitted_us from rate_limiter_state where user_id = :u").bind("u", user)
        .map((row, meta) -> row.get("admitted_us", Long[].class)).one().block(Duration.ofSeconds(5)));
  }

  private static String row(String user) {
    return query(() -> db.sql("select admitted_us::text || '|' || updated_at::text as r from rate_limiter_state where user_id = :u")
        .bind("u", user).map((r, meta) -> r.get("r", String.class)).one().block(Duration.ofSeconds(5)));
  }

  private static <T> T query(Supplier<T> query) {
    T value = query.get();
    if (value == null) {
      throw new AssertionError("no row");
    }
    return value;
  }
}
