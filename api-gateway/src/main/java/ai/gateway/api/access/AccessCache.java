package ai.gateway.api.access;

import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;

import ai.gateway.api.access.PostgresAccounts.KeyOwner;
import ai.gateway.api.access.PostgresAccounts.UserAccess;
import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Keeps what authentication reads on every request (a user's entitlements, a key's owner) for at most
 * {@code gateway.auth.cache-ttl}. That bound is the longest a plan change or a key revocation made on
 * another instance takes to apply here; on this instance the admin API forgets the entry at once.
 *
 * <p>Concurrent requests for the same entry share one database lookup. A failed lookup is shared by those
 * waiting for it, then dropped (the error is reported once, by the problem handler, not by the cache). Keys
 * that do not exist are kept too (bounded), so a stream of invalid keys does not become a stream of queries.
 */
final class AccessCache {

  private static final long MAX_USERS = 100_000;
  private static final long MAX_KEYS = 100_000;

  private final PostgresAccounts accounts;
  private final AsyncCache<String, Lookup<UserAccess>> users;
  private final AsyncCache<String, Lookup<Optional<KeyOwner>>> keys;

  AccessCache(PostgresAccounts accounts, Duration ttl) {
    this.accounts = accounts;
    this.users = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(MAX_USERS).buildAsync();
    this.keys = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(MAX_KEYS).buildAsync();
  }

  /** A lookup's result or failure; a failure is a value here so that the cache does not log it as its own. */
  private record Lookup<T>(@Nullable T value, @Nullable Throwable failure) {
  }

  Mono<UserAccess> user(String userId) {
    return cached(users, userId, accounts::access);
  }

  Mono<Optional<KeyOwner>> keyOwner(byte[] hash) {
    return cached(keys, hex(hash), key -> accounts.keyOwner(hash));
  }

  void forgetUser(String userId) {
    users.synchronous().invalidate(userId);
  }

  void forgetKey(byte[] hash) {
    keys.synchronous().invalidate(hex(hash));
  }

  private static <V> Mono<V> cached(AsyncCache<String, Lookup<V>> cache, String key, Function<String, Mono<V>> load) {
    // suppressCancel: one caller going away must not cancel the lookup other callers share.
    return Mono.fromFuture(() -> cache.get(key, (k, executor) -> load.apply(k)
            .map(value -> new Lookup<>(value, null))
            .onErrorResume(failure -> Mono.just(new Lookup<>(null, failure)))
            .toFuture()), true)
        .flatMap(lookup -> {
          if (lookup.failure() != null) {
            cache.synchronous().asMap().remove(key, lookup);
            return Mono.error(lookup.failure());
          }
          return Mono.justOrEmpty(lookup.value());
        });
  }

  private static String hex(byte[] hash) {
    return HexFormat.of().formatHex(hash);
  }
}
