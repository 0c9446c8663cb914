package ai.gateway.api.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import ai.gateway.api.money.Usd;

/**
 * The answer of {@code GET /v1/usage} and {@code GET /admin/usage/users/{id}} (the spec's
 * {@code getUserAIUsage}): totals of {@code [from, to)} and the same by provider. {@code byProvider} has
 * the providers the user called in the range, by name; a provider without calls is absent.
 */
record UsageBody(Instant from, Instant to, long totalRequests, long totalTokens, long promptTokens,
                 long completionTokens, BigDecimal costUsd, Map<String, ProviderBody> byProvider) {

  record ProviderBody(long requests, long tokens, long promptTokens, long completionTokens, BigDecimal costUsd) {

    static ProviderBody of(Totals totals) {
      return new ProviderBody(totals.requests(), totals.totalTokens(), totals.promptTokens(), totals.completionTokens(),
          usd(totals.costMicroUsd()));
    }
  }

  UsageBody {
    byProvider = Collections.unmodifiableMap(new LinkedHashMap<>(byProvider));
  }

  static UsageBody of(InstantRange range, Map<String, Totals> byProvider) {
    Totals total = byProvider.values().stream().reduce(Totals.NONE, Totals::plus);
    Map<String, ProviderBody> providers = new LinkedHashMap<>();
    byProvider.forEach((provider, totals) -> providers.put(provider, ProviderBody.of(totals)));
    return new UsageBody(range.from(), range.to(), total.requests(), total.totalTokens(), total.promptTokens(),
        total.completionTokens(), usd(total.costMicroUsd()), providers);
  }

  static BigDecimal usd(long costMicroUsd) {
    return Usd.fromMicros(costMicroUsd);
  }
}
