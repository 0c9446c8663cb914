package ai.gateway.worker.provider;

/**
 * Token counts as the provider reported them (exact, not estimated). May come before {@link Finished} or,
 * on a failing stream, before the error, so the caller can still account for a call that failed. A later
 * report replaces an earlier one (providers report cumulative counts; adding them double-counts).
 *
 * @param partial only {@code promptTokens} is the provider's final count: the stream ended before the final
 *     usage (Anthropic's {@code message_start} gives the input tokens up front), so the completion must be
 *     estimated by the caller and the whole marked estimated
 */
public record UsageReport(long promptTokens, long completionTokens, long totalTokens, boolean partial)
    implements ProviderEvent {

  public UsageReport {
    if (promptTokens < 0 || completionTokens < 0 || totalTokens < 0) {
      throw new IllegalArgumentException("token counts are never negative");
    }
  }

  /** The final, complete counts. */
  public UsageReport(long promptTokens, long completionTokens, long totalTokens) {
    this(promptTokens, completionTokens, totalTokens, false);
  }

  /** Only the prompt's count is known so far. */
  public static UsageReport promptOnly(long promptTokens) {
    return new UsageReport(promptTokens, 0, promptTokens, true);
  }
}
