package ai.gateway.api.jobs;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.generate.GenerateResponse;
import ai.gateway.schemas.v1.ErrorInfo;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import org.jspecify.annotations.Nullable;

/** The JSON shapes of {@code /v1/jobs}, in DESIGN.md's names and order. */
public final class JobBodies {

  private JobBodies() {
  }

  /** {@code POST /v1/jobs}: the generate request plus {@code callbackUrl} and {@code metadata}; unknown fields are refused. */
  @Schema(name = "JobRequest", description = "The generate request plus callbackUrl and metadata. Unknown fields are rejected.")
  record JobRequest(@Nullable String prompt, @Nullable String systemPrompt, @Nullable String provider,
                    @Nullable String model, @Nullable Integer maxTokens, @Nullable Double temperature,
                    @Nullable String callbackUrl, @Nullable Map<String, String> metadata) {
  }

  record Links(String self, String events) {

    static Links of(String id) {
      return new Links("/v1/jobs/" + id, "/v1/jobs/" + id + "/events");
    }
  }

  /** {@code 202} of {@code POST /v1/jobs}. */
  record Accepted(String id, String status, Links links) {
  }

  /** A failed or cancelled job's error, as a stream's error event reads (without its provider). */
  public record Error(String code, String message, boolean retryable) {

    /** Through the gateway's one mapping of worker errors. */
    public static Error of(@Nullable ErrorInfo info) {
      ApiError error = ApiError.fromWorker(info);
      return new Error(error.code().name(), error.detail(), error.retryable());
    }
  }

  /** {@code GET /v1/jobs/{id}}; {@code callback} only for a job submitted with a {@code callbackUrl}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Job(String id, String status, @Nullable GenerateResponse result, @Nullable Error error, Instant createdAt,
             @Nullable Instant startedAt, @Nullable Instant finishedAt, @Nullable Map<String, String> metadata,
             @Nullable Callback callback) {

    /** The job as a callback carries it: without its own delivery state, so every attempt sends the same body. */
    Job withoutCallback() {
      return new Job(id, status, result, error, createdAt, startedAt, finishedAt, metadata, null);
    }
  }

  /**
   * The delivery of a job's callback: {@code lastStatus} is the last attempt's HTTP status ("200", "500") or
   * {@code blocked}, {@code timeout}, {@code unreachable}; absent before the first attempt.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Callback(String url, int attempts, @Nullable String lastStatus, boolean delivered) {
  }

  /** The callback body (DESIGN.md, Webhooks): {@code type} {@code job.<status>}, {@code timestamp} the job's end. */
  record Event(String type, Instant timestamp, Object data) {
  }

  /** A job row as {@code GET /v1/jobs/{id}} shows it. */
  static Job job(PostgresJobs.JobRow row, tools.jackson.databind.json.JsonMapper json) {
    GenerateResponse result = row.resultJson() == null ? null : json.readValue(row.resultJson(), GenerateResponse.class);
    Error error = row.errorJson() == null ? null : json.readValue(row.errorJson(), Error.class);
    @SuppressWarnings("unchecked")
    Map<String, String> metadata = row.metadataJson() == null ? null : json.readValue(row.metadataJson(), Map.class);
    Callback callback = row.callbackUrl() == null ? null : new Callback(row.callbackUrl(), row.callbackAttempts(),
        row.callbackLastStatus(), "delivered".equals(row.callbackState()));
    return new Job(row.id().toString(), row.status().wire(), result, error, row.createdAt(), row.startedAt(),
        row.finishedAt(), metadata, callback);
  }

  /** {@code GET /v1/jobs}: newest first; {@code nextAfter} is the cursor of the next page when there is one. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Page(List<Job> jobs, @Nullable String nextAfter) {
  }
}
