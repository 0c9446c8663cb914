package ai.gateway.api.kafka;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@link PartitionClaims} as leases in PostgreSQL ({@code reply_partition_leases}), renewed every third of
 * their TTL, all times by the database's clock.
 *
 * <p>A claim is one transaction under a transaction-scoped advisory lock: claims from every instance run one
 * after another, so two instances starting together cannot both see the same partition free and take it
 * (the choice and the insert are not a check-then-insert across transactions). Expired rows are deleted by
 * the next claim.
 *
 * <p>A renewal that fails (database down) is logged and retried at the next tick: the instance keeps reading
 * its partition, as it is still the only reader it knows of. If its lease expired meanwhile and another
 * instance claimed the partition, the renewal re-inserts this instance's row and both share the partition:
 * each reads the other's replies too, which is correct, only less efficient.
 */
final class PostgresPartitionLeases implements PartitionClaims, DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(PostgresPartitionLeases.class);
  /** Any constant shared by every instance; "ai.replies" in ASCII, so it is recognisable in pg_locks. */
  private static final long CLAIM_LOCK = 0x61692e7265706cL;
  private static final Duration CLAIM_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(2);

  private static final String LOCK = "select pg_advisory_xact_lock(:lock)";
  private static final String FORGET_EXPIRED = """
      delete from reply_partition_leases where expires_at <= clock_timestamp() or instance_id = :instance""";
  private static final String CHOOSE = """
      select p.partition, count(l.instance_id) as holders
      from generate_series(0, :count - 1) as p(partition)
      left join reply_partition_leases l on l.partition = p.partition
      group by p.partition
      order by count(l.instance_id), p.partition
      limit 1""";
  private static final String UPSERT = """
      insert into reply_partition_leases (partition, instance_id, expires_at)
      values (:partition, :instance, clock_timestamp() + make_interval(secs => :ttl))
      on conflict (partition, instance_id) do update set expires_at = excluded.expires_at""";
  private static final String OTHER_HOLDERS = """
      select count(*) as holders from reply_partition_leases
      where partition = :partition and instance_id <> :instance and expires_at > clock_timestamp()""";
  private static final String RELEASE = "delete from reply_partition_leases where partition = :partition and instance_id = :instance";

  private final DatabaseClient db;
  private final TransactionalOperator transactions;
  private final String instance;
  private final Duration ttl;
  private final AtomicBoolean renewalFailing = new AtomicBoolean();
  private volatile long sharedWith;
  private volatile int claimed = -1;
  private boolean closed;
  private volatile @Nullable Disposable renewal;

  PostgresPartitionLeases(DatabaseClient db, TransactionalOperator transactions, String instance, Duration ttl) {
    this.db = db;
    this.transactions = transactions;
    this.instance = instance;
    this.ttl = ttl;
  }

  @Override
  public synchronized int claim(int partitionCount) {
    if (partitionCount < 1) {
      throw new IllegalArgumentException("no partitions to claim");
    }
    if (closed) {
      // A stop that came while the consumer was still claiming: a lease taken now would never be released.
      throw new IllegalStateException("the instance is stopping");
    }
    Choice choice = transactions.execute(status -> db.sql(LOCK).bind("lock", CLAIM_LOCK).then()
            .then(db.sql(FORGET_EXPIRED).bind("instance", instance).fetch().rowsUpdated())
            .then(db.sql(CHOOSE).bind("count", partitionCount)
                .map((row, meta) -> new Choice(row.get("partition", Integer.class), row.get("holders", Long.class)))
                .one())
            .flatMap(chosen -> upsert(chosen.partition()).thenReturn(chosen)))
        .single()
        .block(CLAIM_TIMEOUT);
    if (choice == null) {
      throw new IllegalStateException("no partition chosen");
    }
    claimed = choice.partition();
    sharedWith = choice.holders();
    if (choice.holders() > 0) {
      log.warn("every partition of the reply topic is held: instance {} shares partition {} with {} other instance(s) "
          + "and reads their replies too; add partitions to ai.replies", instance, choice.partition(), choice.holders());
    } else {
      log.info("instance {} holds partition {} of {} of the reply topic", instance, choice.partition(), partitionCount);
    }
    startRenewing(choice.partition());
    return choice.partition();
  }

  private Mono<Long> upsert(int partition) {
    return db.sql(UPSERT).bind("partition", partition).bind("instance", instance)
        .bind("ttl", ttl.toMillis() / 1000.0).fetch().rowsUpdated();
  }

  private void startRenewing(int partition) {
    Duration period = ttl.dividedBy(3);
    Disposable previous = renewal;
    if (previous != null) {
      previous.dispose();
    }
    renewal = Flux.interval(period, period, Schedulers.parallel())
        .onBackpressureDrop()
        .concatMap(tick -> renew(partition).timeout(period).onErrorResume(failure -> {
          if (renewalFailing.compareAndSet(false, true)) {
            log.warn("cannot renew the lease on reply partition {} ({}); still reading it, retrying every {}",
                partition, failure.toString(), period);
          }
          return Mono.empty();
        }), 1)
        .subscribe();
  }

  private Mono<Void> renew(int partition) {
    return upsert(partition)
        .then(db.sql(OTHER_HOLDERS).bind("partition", partition).bind("instance", instance)
            .map((row, meta) -> row.get("holders", Long.class)).one())
        .doOnNext(others -> {
          if (renewalFailing.compareAndSet(true, false)) {
            log.info("lease on reply partition {} renewed again", partition);
          }
          if (others != sharedWith) {
            log.warn("reply partition {} now has {} other live holder(s); they share its replies", partition, others);
            sharedWith = others;
          }
        })
        .then();
  }

  /** Stops renewing without releasing, as a crashed process would: tests only. */
  synchronized void abandon() {
    Disposable current = renewal;
    if (current != null) {
      current.dispose();
      renewal = null;
    }
    claimed = -1;
  }

  @Override
  public synchronized void release() {
    closed = true;
    Disposable current = renewal;
    if (current != null) {
      current.dispose();
      renewal = null;
    }
    int partition = claimed;
    if (partition < 0) {
      return;
    }
    claimed = -1;
    try {
      db.sql(RELEASE).bind("partition", partition).bind("instance", instance).fetch().rowsUpdated()
          .block(RELEASE_TIMEOUT);
      log.info("instance {} released reply partition {}", instance, partition);
    } catch (RuntimeException e) {
      log.warn("could not release the lease on reply partition {} ({}); it expires within {}", partition, e.toString(), ttl);
    }
  }

  /** Also when the context closes without its lifecycle having stopped (a failed start). */
  @Override
  public void destroy() {
    release();
  }

  private record Choice(int partition, long holders) {
  }
}
