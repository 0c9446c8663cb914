package ai.gateway.api.access;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import io.r2dbc.spi.Readable;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Users, plans and API keys in PostgreSQL, over R2DBC. Every statement is parameterized; keys are found by
 * the hash of the presented key, never by comparing secrets. Failures of the database become 503
 * {@code UNAVAILABLE}: without the directory nobody can be authenticated, so the gateway fails closed.
 */
final class PostgresAccounts {

  private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

  private final DatabaseClient db;
  private final Duration timeout;

  PostgresAccounts(DatabaseClient db, Duration timeout) {
    this.db = db;
    this.timeout = timeout;
  }

  /** What a user may do; an unknown user (a JWT {@code sub} with no row) has no plan and no entitlement. */
  record UserAccess(String userId, boolean known, boolean disabled, Set<String> entitlements) {

    UserAccess {
      entitlements = Set.copyOf(entitlements);
    }
  }

  record KeyOwner(UUID keyId, String userId) {
  }

  record User(String id, @Nullable String email, String plan, Instant createdAt, boolean created) {
  }

  record KeyInfo(UUID id, String prefix, @Nullable String label, Instant createdAt, @Nullable Instant revokedAt) {
  }

  record RevokedKey(UUID id, String userId, byte[] hash) {
  }

  Mono<UserAccess> access(String userId) {
    return guard(db.sql("""
            select u.disabled, pe.entitlement_id
            from users u left join plan_entitlements pe on pe.plan_id = u.plan_id
            where u.id = :id""")
        .bind("id", userId)
        .map((row, meta) -> new Grant(Boolean.TRUE.equals(row.get("disabled", Boolean.class)),
            row.get("entitlement_id", String.class)))
        .all()
        .collectList()
        .map(grants -> {
          Set<String> entitlements = new HashSet<>();
          grants.forEach(grant -> {
            if (grant.entitlement() != null) {
              entitlements.add(grant.entitlement());
            }
          });
          return new UserAccess(userId, !grants.isEmpty(), grants.stream().anyMatch(Grant::disabled), entitlements);
        }));
  }

  /** One row of the user's plan's entitlements (a user whose plan grants nothing has one row, entitlement null). */
  private record Grant(boolean disabled, @Nullable String entitlement) {
  }

  /** The owner of an unrevoked key with this hash. */
  Mono<Optional<KeyOwner>> keyOwner(byte[] hash) {
    return guard(db.sql("select id, user_id from api_keys where key_hash = :hash and revoked_at is null")
        .bind("hash", hash)
        .map((row, meta) -> new KeyOwner(row.get("id", UUID.class), row.get("user_id", String.class)))
        .one()
        .map(Optional::of)
        .defaultIfEmpty(Optional.empty()));
  }

  Mono<Boolean> planExists(String plan) {
    return guard(db.sql("select exists (select 1 from plans where id = :plan) as found")
        .bind("plan", plan)
        .map((row, meta) -> Boolean.TRUE.equals(row.get("found", Boolean.class)))
        .one());
  }

  Mono<Boolean> userExists(String userId) {
    return guard(db.sql("select exists (select 1 from users where id = :id) as found")
        .bind("id", userId)
        .map((row, meta) -> Boolean.TRUE.equals(row.get("found", Boolean.class)))
        .one());
  }

  /** Creates the user, or updates the plan (and the e-mail, if given) of an existing one. */
  Mono<User> upsertUser(String id, @Nullable String email, String plan) {
    DatabaseClient.GenericExecuteSpec spec = db.sql("""
            insert into users (id, email, plan_id) values (:id, :email, :plan)
            on conflict (id) do update
              set email = coalesce(excluded.email, users.email), plan_id = excluded.plan_id, updated_at = now()
            returning id, email, plan_id, created_at, (xmax = 0) as created""")
        .bind("id", id)
        .bind("plan", plan);
    spec = email == null ? spec.bindNull("email", String.class) : spec.bind("email", email);
    return guard(spec.map((row, meta) -> user(row, Boolean.TRUE.equals(row.get("created", Boolean.class)))).one());
  }

  /** Empty if there is no such user. */
  Mono<User> setPlan(String id, String plan) {
    return guard(db.sql("""
            update users set plan_id = :plan, updated_at = now() where id = :id
            returning id, email, plan_id, created_at""")
        .bind("id", id)
        .bind("plan", plan)
        .map((row, meta) -> user(row, false))
        .one());
  }

  /** Stores a new key's hash; empty if there is no such user. */
  Mono<Instant> insertKey(String userId, UUID keyId, byte[] hash, String prefix, @Nullable String label) {
    DatabaseClient.GenericExecuteSpec spec = db.sql("""
            insert into api_keys (id, user_id, key_hash, prefix, label)
            select :keyId, u.id, :hash, :prefix, :label from users u where u.id = :user
            returning created_at""")
        .bind("keyId", keyId)
        .bind("user", userId)
        .bind("hash", hash)
        .bind("prefix", prefix);
    spec = label == null ? spec.bindNull("label", String.class) : spec.bind("label", label);
    return guard(spec.map((row, meta) -> instant(row, "created_at")).one());
  }

  Flux<KeyInfo> keys(String userId) {
    return guard(db.sql("""
            select id, prefix, label, created_at, revoked_at from api_keys where user_id = :user
            order by created_at, id""")
        .bind("user", userId)
        .map((row, meta) -> new KeyInfo(row.get("id", UUID.class), row.get("prefix", String.class),
            row.get("label", String.class), instant(row, "created_at"), nullableInstant(row, "revoked_at")))
        .all()
        .collectList())
        .flatMapIterable(list -> list);
  }

  /** Revokes a key (again, harmlessly, if it already is); empty if there is no such key. */
  Mono<RevokedKey> revoke(UUID keyId) {
    return guard(db.sql("""
            update api_keys set revoked_at = coalesce(revoked_at, now()) where id = :id
            returning id, user_id, key_hash""")
        .bind("id", keyId)
        .map((row, meta) -> new RevokedKey(row.get("id", UUID.class), row.get("user_id", String.class),
            row.get("key_hash", byte[].class)))
        .one());
  }

  /** Revokes a user's unrevoked keys with this label; the hashes of those it revoked. */
  Flux<byte[]> revokeLabelled(String userId, String label) {
    return guard(db.sql("""
            update api_keys set revoked_at = now() where user_id = :user and label = :label and revoked_at is null
            returning key_hash""")
        .bind("user", userId)
        .bind("label", label)
        .map((row, meta) -> row.get("key_hash", byte[].class))
        .all()
        .collectList())
        .flatMapIterable(list -> list);
  }

  private static User user(Readable row, boolean created) {
    return new User(row.get("id", String.class), row.get("email", String.class), row.get("plan_id", String.class),
        instant(row, "created_at"), created);
  }

  private static Instant instant(Readable row, String column) {
    Instant value = nullableInstant(row, column);
    if (value == null) {
      throw new IllegalStateException(column + " is null");
    }
    return value;
  }

  private static @Nullable Instant nullableInstant(Readable row, String column) {
    OffsetDateTime value = row.get(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  private <T> Mono<T> guard(Mono<T> query) {
    return query
        .timeout(timeout, Mono.error(() -> new TimeoutException("no answer from PostgreSQL within " + timeout)))
        .onErrorMap(failure -> !(failure instanceof ApiException),
            failure -> ApiError.of(ErrorCode.UNAVAILABLE, "The user directory is unavailable; try again later.")
                .withRetryAfter(RETRY_AFTER).exception(failure));
  }
}
