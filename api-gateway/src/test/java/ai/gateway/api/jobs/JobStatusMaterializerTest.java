package ai.gateway.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.UUID;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import ai.gateway.schemas.v1.JobResult;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.Usage;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class JobStatusMaterializerTest {

  private static final String ID = "01a2421f-c7a9-7077-b587-54f4de2b18b6";
  private static final Instant AT = Instant.parse("2026-12-04T18:00:00.123Z");
  private final JobStatusMaterializer materializer = new JobStatusMaterializer(null, JsonMapper.builder().build(), null, id -> { });

  @Test
  void shouldTurnASucceededStatusIntoTheGenerateResponse() {
    JobStatus status = status(JobState.SUCCEEDED, 2)
        .setOutput(JobResult.newBuilder().setContent("Hello").setProvider("openai").setModel("gpt-x").setFinishReason("stop").build())
        .setUsage(Usage.newBuilder().setPromptTokens(3).setCompletionTokens(2).setTotalTokens(5).setEstimated(false).build())
        .setCostMicroUsd(150L)
        .build();

    PostgresJobs.StatusUpdate update = materializer.update(status);

    assertThat(update).isNotNull();
    assertThat(update.id()).isEqualTo(UUID.fromString(ID));
    assertThat(update.phase()).isEqualTo(JobPhase.SUCCEEDED);
    assertThat(update.attempt()).isEqualTo(2);
    assertThat(update.at()).isEqualTo(AT);
    assertThat(update.resultJson()).isEqualTo("""
        {"jobId":"%s","content":"Hello","provider":"openai","model":"gpt-x","finishReason":"stop",\
        "usage":{"promptTokens":3,"completionTokens":2,"totalTokens":5,"estimated":false},"costUsd":0.00015}"""
        .formatted(ID));
    assertThat(update.errorJson()).isNull();
  }

  @Test
  void shouldTurnAFailedOrCancelledStatusIntoTheErrorBody() {
    JobStatus failed = status(JobState.FAILED, 1)
        .setError(ErrorInfo.newBuilder().setCode(ErrorCode.TIMEOUT).setMessage("took too long").setRetryable(true).build())
        .build();
    JobStatus cancelled = status(JobState.CANCELLED, 1)
        .setError(ErrorInfo.newBuilder().setCode(ErrorCode.CANCELLED).setMessage("the job was cancelled").build())
        .build();

    assertThat(materializer.update(failed).errorJson())
        .isEqualTo("{\"code\":\"TIMEOUT\",\"message\":\"took too long\",\"retryable\":true}");
    assertThat(materializer.update(cancelled).errorJson())
        .isEqualTo("{\"code\":\"CANCELLED\",\"message\":\"the job was cancelled\",\"retryable\":false}");
    assertThat(materializer.update(failed).resultJson()).isNull();
  }

  @Test
  void shouldSkipRecordsNoAsyncJobRowCouldMatch() {
    assertThat(materializer.update(status(JobState.UNKNOWN, 1).build())).isNull();
    assertThat(materializer.update(status(JobState.QUEUED, 1).build())).isNull();
    assertThat(materializer.update(status(JobState.SUCCEEDED, 1).setBatchId("batch-1").build())).isNull();
    assertThat(materializer.update(status(JobState.RUNNING, 1).setJobId("not-a-uuid").build())).isNull();
    assertThat(materializer.update(status(JobState.RUNNING, 1).build()).phase()).isEqualTo(JobPhase.RUNNING);
  }

  private static JobStatus.Builder status(JobState state, int attempt) {
    return JobStatus.newBuilder().setJobId(ID).setUserId("u").setState(state).setAttempt(attempt).setWorkerId("w")
        .setTimestamp(AT);
  }
}
