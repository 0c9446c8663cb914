package ai.gateway.api.generate;

import ai.gateway.schemas.v1.Usage;
import org.jspecify.annotations.Nullable;

/** Token counts as the API shows them; {@code estimated} when the provider reported none. */
public record UsageBody(long promptTokens, long completionTokens, long totalTokens, boolean estimated) {

  static UsageBody from(@Nullable Usage usage) {
    if (usage == null) {
      return new UsageBody(0, 0, 0, true);
    }
    return new UsageBody(usage.getPromptTokens(), usage.getCompletionTokens(), usage.getTotalTokens(), usage.getEstimated());
  }
}
