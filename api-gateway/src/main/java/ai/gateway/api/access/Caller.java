package ai.gateway.api.access;

import java.util.Set;

/**
 * Who is calling: the authenticated user every job, limit and usage record is attributed to, and what
 * their plan entitles them to (as of the access cache, at most {@code gateway.auth.cache-ttl} old).
 */
public record Caller(String userId, Set<String> entitlements) {

  /** The entitlement that creating work needs. */
  public static final String AI_ACCESS = "ai_access";

  public Caller {
    entitlements = Set.copyOf(entitlements);
  }

  public boolean entitledTo(String entitlement) {
    return entitlements.contains(entitlement);
  }
}
