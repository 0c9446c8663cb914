package ai.gateway.worker.provider;

/**
 * Token counts as the provider reported them (exact, not estimated). May come before {@link Finished} or,
 * on a failing stream, before the error, so the caller can still account for a call that failed.
 */
public record UsageReport(long promptTokens, long completionTokens, long totalTokens) implements ProviderEvent {

  public UsageReport {
    if (promptTokens < 0 || completionTokens < 0 || totalTokens < 0) {
      throw new IllegalArgumentException("token counts are never negative");
    }
  }
}
