package ai.gateway.api.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import ai.gateway.api.TestPostgres;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

/** The reply partition leases on a real PostgreSQL, migrated by the gateway's own migrations. */
class PartitionLeasesIT {

  private static final Duration TTL = Duration.ofMillis(1_500);
  private static DatabaseClient db;
  private static TransactionalOperator transactions;
  private final List<PostgresPartitionLeases> instances = new ArrayList<>();

  @BeforeAll
  static void migrate() {
    TestPostgres.Database database = TestPostgres.newDatabase();
    Flyway.configure().dataSource(database.jdbcUrl(), TestPostgres.USER, TestPostgres.PASSWORD)
        .locations("classpath:db/migration").table("flyway_schema_history_gateway").load().migrate();
    ConnectionFactory connections = ConnectionFactories.get("r2dbc:postgresql://" + TestPostgres.USER + ":"
        + TestPostgres.PASSWORD + "@localhost:" + database.port() + "/" + database.name());
    db = DatabaseClient.create(connections);
    transactions = TransactionalOperator.create(new R2dbcTransactionManager(connections));
  }

  @AfterEach
  void releaseAll() {
    instances.forEach(PostgresPartitionLeases::release);
    db.sql("delete from reply_partition_leases").fetch().rowsUpdated().block();
  }

  private PostgresPartitionLeases instance(String id) {
    PostgresPartitionLeases leases = new PostgresPartitionLeases(db, transactions, id, TTL);
    instances.add(leases);
    return leases;
  }

  @Test
  void shouldNeverClaimTheSameFreePartitionWhenInstancesStartAtOnce() throws Exception {
    // given: 8 instances, 12 partitions
    List<PostgresPartitionLeases> starting = IntStream.range(0, 8).mapToObj(i -> instance("gw-" + i)).toList();
    ExecutorService threads = Executors.newFixedThreadPool(starting.size());
    CountDownLatch go = new CountDownLatch(1);
    try {
      // when: all claim at the same moment
      List<CompletableFuture<Integer>> claims = starting.stream()
          .map(leases -> CompletableFuture.supplyAsync(() -> {
            awaitQuietly(go);
            return leases.claim(12);
          }, threads))
          .toList();
      go.countDown();

      // then: the eight lowest partitions, one each
      List<Integer> claimed = new ArrayList<>();
      for (CompletableFuture<Integer> claim : claims) {
        claimed.add(claim.get(20, TimeUnit.SECONDS));
      }
      assertThat(claimed).containsExactlyInAnyOrderElementsOf(IntStream.range(0, 8).boxed().toList());
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void shouldFreeACrashedInstancesPartitionOnceItsLeaseExpires() {
    // given
    PostgresPartitionLeases crashed = instance("gw-crashed");
    assertThat(crashed.claim(3)).isZero();
    crashed.abandon();

    // when: while the lease runs, its partition is not free; once it expired, it is
    assertThat(instance("gw-b").claim(3)).isEqualTo(1);
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
        .until(() -> liveHolders(0).isEmpty());

    // then
    assertThat(instance("gw-c").claim(3)).isZero();
    assertThat(liveHolders(0)).containsExactly("gw-c");
  }

  @Test
  void shouldKeepItsPartitionByRenewingTheLease() {
    // given
    PostgresPartitionLeases alive = instance("gw-alive");
    assertThat(alive.claim(3)).isZero();

    // then: held for well past its TTL
    await().during(TTL.multipliedBy(2)).atMost(TTL.multipliedBy(3))
        .until(() -> liveHolders(0).equals(List.of("gw-alive")));
    assertThat(instance("gw-other").claim(3)).isEqualTo(1);
  }

  @Test
  void shouldShareThePartitionWithTheFewestHoldersWhenAllAreHeld() {
    // given
    assertThat(instance("gw-a").claim(2)).isZero();
    assertThat(instance("gw-b").claim(2)).isEqualTo(1);

    // when: the degraded mode
    int third = instance("gw-c").claim(2);
    int fourth = instance("gw-d").claim(2);

    // then
    assertThat(third).isZero();
    assertThat(fourth).isEqualTo(1);
    assertThat(liveHolders(0)).containsExactlyInAnyOrder("gw-a", "gw-c");
  }

  @Test
  void shouldFreeThePartitionAtOnceOnRelease() {
    // given
    PostgresPartitionLeases leaving = instance("gw-leaving");
    assertThat(leaving.claim(3)).isZero();

    // when
    leaving.release();

    // then
    assertThat(liveHolders(0)).isEmpty();
    assertThat(instance("gw-next").claim(3)).isZero();
  }

  private static List<String> liveHolders(int partition) {
    return db.sql("select instance_id from reply_partition_leases where partition = :p and expires_at > clock_timestamp() "
            + "order by instance_id")
        .bind("p", partition).map((row, meta) -> row.get("instance_id", String.class)).all().collectList().block();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
