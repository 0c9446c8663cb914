package ai.gateway.local.bench;

import java.util.ArrayList;
import java.util.List;
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

  static Keys create(GatewayAdmin admin, int requests, int perUser, String prefix) {
    int users = Math.max(1, (requests + perUser - 1) / perUser);
    List<String> keys = new ArrayList<>(users);
    for (int i = 0; i < users; i++) {
      keys.add(admin.userWithKey(prefix + i, "pro"));
    }
    return new Keys(List.copyOf(keys), perUser);
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
