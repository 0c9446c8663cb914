package ai.gateway.usage;

import java.time.Instant;
import java.util.UUID;

import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageOutcome;

/** Usage events for tests: a successful OpenAI call unless changed through the builder. */
public final class UsageFixtures {

  private UsageFixtures() {
  }

  public static UsageEvent.Builder call(String userId, Instant occurredAt) {
    return UsageEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setUserId(userId)
        .setJobId(UUID.randomUUID().toString())
        .setDelivery(1)
        .setProviderAttempt(1)
        .setProvider("openai")
        .setModel("gpt-4o-mini")
        .setPromptTokens(10)
        .setCompletionTokens(20)
        .setTotalTokens(30)
        .setEstimated(false)
        .setCostMicroUsd(15)
        .setPriceKnown(true)
        .setOutcome(UsageOutcome.SUCCEEDED)
        .setErrorCode(null)
        .setBatchId(null)
        .setOccurredAt(occurredAt);
  }

  public static UsageEvent call(String userId, Instant occurredAt, String provider, String model, long prompt,
      long completion, long costMicroUsd) {
    return call(userId, occurredAt)
        .setProvider(provider)
        .setModel(model)
        .setPromptTokens(prompt)
        .setCompletionTokens(completion)
        .setTotalTokens(prompt + completion)
        .setCostMicroUsd(costMicroUsd)
        .build();
  }
}
