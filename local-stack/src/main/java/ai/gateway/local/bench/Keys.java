package ai.gateway.local.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import ai.gateway.local.GatewayAdmin;

/**
 * API keys for the load, with the rate limits left on: enough Pro users are made through the admin API
 * that no user sends more than {@code perUser} requests in the whole run, so no request is refused for
 * being over a user's limit, and the limiter's cost is part of what is measured.
 */
final class Keys {

  private final List<String> keys;
  private final int perUser;
  private final AtomicInteger next = new AtomicInteger();

  private Keys(List<String> keys, int perUser) {
    this.keys = keys;
    this.perUser = perUser;
  }

  /** Makes the users and keys through the admin API, 8 calls at a time (thousands for a full run). */
  static Keys create(GatewayAdmin admin, int requests, int perUser, String prefix) {
    int users = Math.max(1, (requests + perUser - 1) / perUser);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> made = new ArrayList<>(users);
      for (int i = 0; i < users; i++) {
        String user = prefix + i;
        made.add(pool.submit(() -> admin.userWithKey(user, "pro")));
      }
      List<String> keys = new ArrayList<>(users);
      for (Future<String> key : made) {
        keys.add(key.get());
      }
      return new Keys(List.copyOf(keys), perUser);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making API keys", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot make the benchmark's API keys", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /** Request n uses user n / perUser, so each user's requests are consecutive and at most perUser. */
  String next() {
    int n = next.getAndIncrement();
    int user = n / perUser;
    if (user >= keys.size()) {
      throw new IllegalStateException("more requests than the " + keys.size() * perUser + " the keys were made for");
    }
    return keys.get(user);
  }

  int users() {
    return keys.size();
  }
}
