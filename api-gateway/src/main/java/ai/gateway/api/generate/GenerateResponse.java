package ai.gateway.api.generate;

import java.math.BigDecimal;

import ai.gateway.api.money.Usd;
import ai.gateway.schemas.v1.JobResult;
import ai.gateway.schemas.v1.JobStatus;
import org.jspecify.annotations.Nullable;

/**
 * {@code POST /v1/generate}'s answer; {@code model} is the model the provider reports. Also the {@code result} of an
 * async job and of a batch item, made from the job's terminal status.
 */
public record GenerateResponse(String jobId, String content, String provider, String model, @Nullable String finishReason,
                               UsageBody usage, BigDecimal costUsd) {

  /** Cost is integer micro-USD on Kafka; exact decimal dollars here (no binary-float noise such as 1.0000000000000002E-4). */
  static BigDecimal usd(long costMicroUsd) {
    return Usd.fromMicros(costMicroUsd);
  }

  /** A succeeded job's answer as its {@code SUCCEEDED} status carries it. */
  public static GenerateResponse of(JobStatus status) {
    JobResult output = status.getOutput();
    long cost = status.getCostMicroUsd() == null ? 0 : status.getCostMicroUsd();
    return new GenerateResponse(status.getJobId(), output == null ? "" : output.getContent(),
        output == null ? "" : output.getProvider(), output == null ? "" : output.getModel(),
        output == null ? null : output.getFinishReason(), UsageBody.from(status.getUsage()), usd(cost));
  }
}
