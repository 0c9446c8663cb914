package ai.gateway.api.batches;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonRawValue;
import io.swagger.v3.oas.annotations.media.Schema;
import org.jspecify.annotations.Nullable;

/** The JSON shapes of {@code /v1/batches}, in DESIGN.md's names and order. */
final class BatchBodies {

  private BatchBodies() {
  }

  /** One request of a JSON batch (documentation only: the body is read as a stream). */
  @Schema(name = "BatchRequestItem")
  record RequestItem(@JsonProperty("custom_id") String customId, ai.gateway.api.generate.GenerateRequest body) {
  }

  /** {@code POST /v1/batches} as JSON (documentation only). */
  @Schema(name = "BatchRequest", description = "Or application/x-ndjson: one {\"custom_id\",\"body\"} per line.")
  record BatchRequest(List<RequestItem> requests, @Nullable String callbackUrl) {
  }

  /** {@code 202} of {@code POST /v1/batches}. */
  record Accepted(String id, String status) {
  }

  record Counts(long total, long queued, long running, long succeeded, long failed, long cancelled) {
  }

  /** {@code GET /v1/batches/{id}}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Batch(String id, String status, Counts counts, Instant createdAt, @Nullable Instant completedAt) {
  }

  /** One line of {@code GET /v1/batches/{id}/results}; result and error are stored JSON, written as they are. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ResultLine(@JsonProperty("custom_id") String customId, String status, @JsonRawValue @Nullable String result,
                    @JsonRawValue @Nullable String error) {
  }

}
