package ai.gateway.api.access;

/** Who is calling: the user every job, limit and usage record is attributed to. */
public record Caller(String userId) {
}
