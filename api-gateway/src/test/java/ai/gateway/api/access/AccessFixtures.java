package ai.gateway.api.access;

import java.util.Set;

/** For unit tests of code that takes admitted work, which only {@link WorkAdmission} makes in production. */
public final class AccessFixtures {

  private AccessFixtures() {
  }

  public static <T> Admitted<T> admitted(String userId, T request) {
    return new Admitted<>(new Caller(userId, Set.of(Caller.AI_ACCESS)), request);
  }
}
