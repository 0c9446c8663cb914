package ai.gateway.api.generate;

import java.math.BigDecimal;

import ai.gateway.api.money.Usd;
import org.jspecify.annotations.Nullable;

/** {@code POST /v1/generate}'s answer; {@code model} is the model the provider reports. */
record GenerateResponse(String jobId, String content, String provider, String model, @Nullable String finishReason,
                        UsageBody usage, BigDecimal costUsd) {

  /** Cost is integer micro-USD on Kafka; exact decimal dollars here (no binary-float noise such as 1.0000000000000002E-4). */
  static BigDecimal usd(long costMicroUsd) {
    return Usd.fromMicros(costMicroUsd);
  }
}
