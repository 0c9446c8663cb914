package ai.gateway.api.generate;

import java.time.Instant;

import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import org.jspecify.annotations.Nullable;

/** A validated generate request with the defaults applied: what goes into the job. */
public record GenerationParams(String prompt, @Nullable String systemPrompt, @Nullable String provider, @Nullable String model,
                        int maxTokens, double temperature) {

  /**
   * The job every kind of work starts from (sync, stream, async, batch item): these parameters, who asked, when,
   * first delivery; the caller adds what its kind needs (deadline, attempt timeout, reply partition, batch).
   */
  public GenerationJob.Builder job(String jobId, String userId, JobKind kind, String requestId, Instant createdAt) {
    return GenerationJob.newBuilder()
        .setJobId(jobId)
        .setUserId(userId)
        .setKind(kind)
        .setRequestId(requestId)
        .setProvider(provider)
        .setModel(model)
        .setPrompt(prompt)
        .setSystemPrompt(systemPrompt)
        .setMaxTokens(maxTokens)
        .setTemperature(temperature)
        .setCreatedAt(createdAt)
        .setDelivery(1);
  }
}
