package ai.gateway.api.generate;

import ai.gateway.api.error.ApiError;
import ai.gateway.schemas.v1.GenerationEvent;
import org.jspecify.annotations.Nullable;

/**
 * One event of a job as the gateway handles it: a worker's {@code GenerationEvent}, or a terminal
 * failure the gateway made itself (deadline passed), which has attempt 0 and no event id.
 */
sealed interface Reply {

  int attempt();

  int seq();

  default boolean terminal() {
    return !(this instanceof Chunk);
  }

  /** Made by the gateway, not read from {@code ai.replies}. */
  default boolean local() {
    return attempt() == 0;
  }

  record Chunk(int attempt, int seq, String content) implements Reply {
  }

  record Done(int attempt, int seq, String provider, String model, @Nullable String finishReason, UsageBody usage,
              long costMicroUsd) implements Reply {
  }

  record Failed(int attempt, int seq, ApiError error) implements Reply {

    static Failed local(ApiError error) {
      return new Failed(0, 0, error);
    }
  }

  /** {@code null} for an event type this gateway does not know (a newer worker's): it is skipped. */
  static @Nullable Reply from(GenerationEvent event) {
    return switch (event.getType()) {
      case CHUNK -> new Chunk(event.getAttempt(), event.getSeq(), event.getContent() == null ? "" : event.getContent());
      case DONE -> new Done(event.getAttempt(), event.getSeq(), orEmpty(event.getProvider()), orEmpty(event.getModel()),
          event.getFinishReason(), UsageBody.from(event.getUsage()),
          event.getCostMicroUsd() == null ? 0 : event.getCostMicroUsd());
      case ERROR -> new Failed(event.getAttempt(), event.getSeq(), ApiError.fromWorker(event.getError()));
      case UNKNOWN -> null;
    };
  }

  private static String orEmpty(@Nullable String value) {
    return value == null ? "" : value;
  }
}
