package ai.gateway.api.usage;

/**
 * Summed usage of some provider calls, as the tables hold it: tokens and integer micro-USD. Sums are exact
 * ({@code long}, overflow fails loudly rather than wrapping).
 */
record Totals(long requests, long totalTokens, long promptTokens, long completionTokens, long costMicroUsd) {

  static final Totals NONE = new Totals(0, 0, 0, 0, 0);

  Totals plus(Totals other) {
    return new Totals(Math.addExact(requests, other.requests), Math.addExact(totalTokens, other.totalTokens),
        Math.addExact(promptTokens, other.promptTokens), Math.addExact(completionTokens, other.completionTokens),
        Math.addExact(costMicroUsd, other.costMicroUsd));
  }
}
