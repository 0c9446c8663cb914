package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/** Jobs as the gateway publishes them. */
final class JobFixtures {

  private JobFixtures() {
  }

  static GenerationJob.Builder streamJob() {
    Instant now = Instant.now();
    return GenerationJob.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setUserId("user-" + UUID.randomUUID().toString().substring(0, 8))
        .setKind(JobKind.STREAM)
        .setPrompt("Say hello in three words")
        .setSystemPrompt("Be brief.")
        .setMaxTokens(100)
        .setTemperature(0.7)
        .setCreatedAt(now)
        .setDeadlineAt(now.plus(Duration.ofSeconds(30)))
        .setDelivery(1)
        .setReplyTo("gateway-1");
  }
}
