package ai.gateway.api.access;

import java.net.URI;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The issuer's public keys, fetched from its JWK set URI without blocking. The set is kept for
 * {@code maxAge}; a token whose {@code kid} is not in it may trigger one fetch (key rotation), but never more
 * than one per {@code minRefetch}, and concurrent fetches are shared — so a flood of tokens with random or
 * hostile {@code kid}s costs the issuer at most one request per interval. The {@code kid} is only ever
 * compared with the fetched keys: it never names a file or a URL, and {@code jku}/{@code x5u} headers are
 * ignored. If the set cannot be fetched and none was fetched before, verification fails with
 * {@link IllegalStateException} (answered 503, not 401).
 */
final class RefetchLimitedJwkSource implements Function<SignedJWT, Flux<JWK>> {

  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
  private static final long NEVER = Long.MIN_VALUE;

  private final WebClient client;
  private final URI uri;
  private final long minRefetchNanos;
  private final long maxAgeNanos;
  private final AtomicReference<@Nullable Fetched> fetched = new AtomicReference<>();
  private @Nullable Mono<JWKSet> inFlight;
  private long lastAttempt = NEVER;
  private final AtomicLong fetches = new AtomicLong();

  RefetchLimitedJwkSource(WebClient client, URI uri, Duration minRefetch, Duration maxAge) {
    this.client = client;
    this.uri = uri;
    this.minRefetchNanos = minRefetch.toNanos();
    this.maxAgeNanos = maxAge.toNanos();
  }

  private record Fetched(JWKSet keys, long at) {
  }

  @Override
  public Flux<JWK> apply(SignedJWT jwt) {
    JWKMatcher matcher = JWKMatcher.forJWSHeader(jwt.getHeader());
    if (matcher == null) {
      return Flux.empty(); // an algorithm no key could serve (none, or unknown)
    }
    JWKSelector selector = new JWKSelector(matcher);
    return keys(false).flatMapMany(set -> {
      List<JWK> found = selector.select(set);
      if (!found.isEmpty()) {
        return Flux.fromIterable(found);
      }
      // Maybe the issuer rotated its keys: look once more, if the refetch budget allows.
      return keys(true).flatMapIterable(selector::select);
    });
  }

  /** How many times the set was requested from the issuer (for tests and metrics). */
  long fetches() {
    return fetches.get();
  }

  private Mono<JWKSet> keys(boolean missingKid) {
    Fetched current = fetched.get();
    boolean stale = current == null || System.nanoTime() - current.at() >= maxAgeNanos;
    if (!stale && !missingKid) {
      return Mono.just(current.keys());
    }
    Mono<JWKSet> refresh = refresh();
    if (refresh == null) {
      return current != null ? Mono.just(current.keys())
          : Mono.error(new IllegalStateException("the JWK set has not been fetched yet"));
    }
    // A failed refresh keeps the keys we had; with none, verification cannot happen.
    return current == null ? refresh : refresh.onErrorReturn(current.keys());
  }

  /**
   * A shared fetch, or null when the last attempt was less than {@code minRefetch} ago. Synchronized only
   * around a few field updates; the fetch itself runs when the returned {@code Mono} is subscribed.
   */
  private synchronized @Nullable Mono<JWKSet> refresh() {
    if (inFlight != null) {
      return inFlight;
    }
    long now = System.nanoTime();
    if (lastAttempt != NEVER && now - lastAttempt < minRefetchNanos) {
      return null;
    }
    lastAttempt = now;
    Mono<JWKSet> fetch = download()
        .doOnNext(keys -> fetched.set(new Fetched(keys, System.nanoTime())))
        .doFinally(signal -> fetchEnded())
        .cache();
    inFlight = fetch;
    return fetch;
  }

  private synchronized void fetchEnded() {
    inFlight = null;
  }

  private Mono<JWKSet> download() {
    return client.get().uri(uri).accept(MediaType.APPLICATION_JSON)
        .retrieve()
        .bodyToMono(String.class)
        .doOnSubscribe(subscription -> fetches.incrementAndGet())
        .timeout(FETCH_TIMEOUT)
        .map(body -> {
          try {
            return JWKSet.parse(body).toPublicJWKSet();
          } catch (ParseException e) {
            throw new IllegalStateException("the JWK set at the configured URI is malformed", e);
          }
        });
  }
}
