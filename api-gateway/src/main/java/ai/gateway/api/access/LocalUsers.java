package ai.gateway.api.access;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code local} profile only (see AccessConfiguration): makes sure a Pro user {@code pro-user} and a
 * Free user {@code free-user} exist, and gives each a fresh API key, logged once so a laptop run can be
 * called at once. The previous run's seeded keys are revoked, so restarts do not pile up live keys. Runs
 * on the main thread at start, after the migrations, before the server takes traffic.
 */
final class LocalUsers implements ApplicationRunner {

  private static final Logger log = LoggerFactory.getLogger(LocalUsers.class);
  static final String LABEL = "local-seed";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private record Seed(String userId, String plan) {
  }

  private static final List<Seed> SEEDS = List.of(new Seed("pro-user", "pro"), new Seed("free-user", "free"));

  private final PostgresAccounts accounts;
  private final AccessCache cache;

  LocalUsers(PostgresAccounts accounts, AccessCache cache) {
    this.accounts = accounts;
    this.cache = cache;
  }

  @Override
  public void run(ApplicationArguments args) {
    StringBuilder banner = new StringBuilder("Local users (profile local only; new keys at every start):");
    for (Seed seed : SEEDS) {
      String key = ApiKeys.generate();
      Flux.concat(
              accounts.upsertUser(seed.userId(), null, seed.plan()).then(),
              accounts.revokeLabelled(seed.userId(), LABEL).doOnNext(cache::forgetKey).then(),
              accounts.insertKey(seed.userId(), UUID.randomUUID(), ApiKeys.hash(key), ApiKeys.shownPrefix(key), LABEL).then())
          .then(Mono.fromRunnable(() -> cache.forgetUser(seed.userId())))
          .block(TIMEOUT);
      banner.append(String.format("%n  %-9s (plan %-4s)  Authorization: Bearer %s", seed.userId(), seed.plan(), key));
    }
    log.info("{}", banner);
  }
}
