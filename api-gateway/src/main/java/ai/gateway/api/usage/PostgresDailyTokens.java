package ai.gateway.api.usage;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * {@link DailyTokens} from {@code ai_usage_daily_totals}, cached per user and day for at most the TTL
 * ({@code 0}: every call reads the database). The day is part of the key, so at midnight UTC a total of
 * yesterday is never served as today's. Concurrent reads of one user share one query; a failed query is
 * not cached.
 */
final class PostgresDailyTokens implements DailyTokens {

  private static final long MAX_USERS = 100_000;

  private final PostgresUsage usage;
  private final Clock clock;
  private final @Nullable AsyncCache<Key, Lookup> cache;

  PostgresDailyTokens(PostgresUsage usage, Clock clock, Duration ttl) {
    this.usage = usage;
    this.clock = clock;
    this.cache = ttl.isZero() ? null : Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(MAX_USERS).buildAsync();
  }

  private record Key(String userId, LocalDate day) {
  }

  /** A result or a failure; a failure is a value so that the cache does not log it as its own. */
  private record Lookup(@Nullable Long tokens, @Nullable Throwable failure) {
  }

  @Override
  public Mono<Long> today(String userId) {
    Key key = new Key(userId, LocalDate.now(clock.withZone(ZoneOffset.UTC)));
    AsyncCache<Key, Lookup> cache = this.cache;
    if (cache == null) {
      return usage.tokensOn(key.userId(), key.day());
    }
    // suppressCancel: one caller going away must not cancel the query others share.
    return Mono.fromFuture(() -> cache.get(key, (k, executor) -> usage.tokensOn(k.userId(), k.day())
            .map(tokens -> new Lookup(tokens, null))
            .onErrorResume(failure -> Mono.just(new Lookup(null, failure)))
            .toFuture()), true)
        .flatMap(lookup -> {
          Throwable failure = lookup.failure();
          if (failure != null) {
            cache.synchronous().asMap().remove(key, lookup);
            return Mono.error(failure);
          }
          return Mono.justOrEmpty(lookup.tokens());
        });
  }
}
