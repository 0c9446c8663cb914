package ai.gateway.worker.job;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobResult;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.Usage;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageOutcome;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** The Avro records of one job attempt, built from the job and what the attempt produced. */
final class JobRecords {

  private final GenerationJob job;
  private final String workerId;

  JobRecords(GenerationJob job, String workerId) {
    this.job = job;
    this.workerId = workerId;
  }

  JobStatus running(Instant now, Instant leaseExpiresAt) {
    return status(JobState.RUNNING, now)
        .setLeaseExpiresAt(leaseExpiresAt)
        .build();
  }

  GenerationEvent chunk(int seq, String text, Instant now) {
    return event(GenerationEventType.CHUNK, seq, now).setContent(text).build();
  }

  GenerationEvent done(int seq, Answer answer, Instant now) {
    return event(GenerationEventType.DONE, seq, now)
        .setProvider(answer.provider())
        .setModel(answer.model())
        .setFinishReason(answer.finishReason())
        .setUsage(answer.usage())
        .setCostMicroUsd(answer.costMicroUsd())
        .build();
  }

  GenerationEvent error(int seq, ErrorInfo error, @Nullable Usage usage, @Nullable Long costMicroUsd, Instant now) {
    return event(GenerationEventType.ERROR, seq, now)
        .setProvider(error.getProvider())
        .setError(error)
        .setUsage(usage)
        .setCostMicroUsd(costMicroUsd)
        .build();
  }

  JobStatus succeeded(Answer answer, Instant now) {
    return status(JobState.SUCCEEDED, now)
        .setOutput(JobResult.newBuilder()
            .setContent(answer.content())
            .setProvider(answer.provider())
            .setModel(answer.model())
            .setFinishReason(answer.finishReason())
            .build())
        .setUsage(answer.usage())
        .setCostMicroUsd(answer.costMicroUsd())
        .build();
  }

  JobStatus ended(ErrorInfo error, @Nullable Usage usage, @Nullable Long costMicroUsd, Instant now) {
    JobState state = error.getCode() == ErrorCode.CANCELLED ? JobState.CANCELLED : JobState.FAILED;
    return status(state, now)
        .setError(error)
        .setUsage(usage)
        .setCostMicroUsd(costMicroUsd)
        .build();
  }

  UsageEvent usage(ProviderCall call, @Nullable String reportedModel, Usage usage, PriceTable.Cost cost,
      UsageOutcome outcome, @Nullable ErrorInfo error, Instant now) {
    return UsageEvent.newBuilder()
        .setEventId(call.eventId())
        .setUserId(job.getUserId())
        .setJobId(job.getJobId())
        .setDelivery(job.getDelivery())
        .setProviderAttempt(call.providerAttempt())
        .setProvider(call.provider())
        .setModel(reportedModel != null ? reportedModel : call.model())
        .setPromptTokens(usage.getPromptTokens())
        .setCompletionTokens(usage.getCompletionTokens())
        .setTotalTokens(usage.getTotalTokens())
        .setEstimated(usage.getEstimated())
        .setCostMicroUsd(cost.microUsd())
        .setPriceKnown(cost.known())
        .setOutcome(outcome)
        .setErrorCode(error == null ? null : error.getCode())
        .setBatchId(job.getBatchId())
        .setOccurredAt(now)
        .build();
  }

  private GenerationEvent.Builder event(GenerationEventType type, int seq, Instant now) {
    return GenerationEvent.newBuilder()
        .setJobId(job.getJobId())
        .setAttempt(job.getDelivery())
        .setSeq(seq)
        .setType(type)
        .setWorkerId(workerId)
        .setReplyTo(job.getReplyTo())
        .setTimestamp(now);
  }

  private JobStatus.Builder status(JobState state, Instant now) {
    return JobStatus.newBuilder()
        .setJobId(job.getJobId())
        .setUserId(job.getUserId())
        .setState(state)
        .setAttempt(job.getDelivery())
        .setWorkerId(workerId)
        .setBatchId(job.getBatchId())
        .setTimestamp(now);
  }

  /** A successful attempt's result. */
  record Answer(String content, String provider, String model, String finishReason, Usage usage, long costMicroUsd) {
  }

  /**
   * One provider call: {@code eventId} is made before the call, so a replayed event is recognizably the same;
   * {@code providerAttempt} counts the calls of one job attempt (retries and fallbacks) from 1.
   */
  record ProviderCall(String eventId, String provider, String model, int providerAttempt) {
  }
}
