package ai.gateway.api.generate;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Folds a job's replies into the JSON answer: the chunks of the attempt that finished, in {@code seq}
 * order. A new attempt restarts the text (the client has seen nothing yet, so nothing is spliced).
 */
final class SyncAnswer {

  private final String jobId;
  private final StringBuilder content = new StringBuilder();
  private int attempt = -1;
  private @Nullable Reply terminal;

  private SyncAnswer(String jobId) {
    this.jobId = jobId;
  }

  static Mono<GenerateResponse> of(JobDispatcher.Run run) {
    return run.replies()
        .collect(() -> new SyncAnswer(run.jobId()), SyncAnswer::accept)
        .flatMap(SyncAnswer::result);
  }

  private void accept(Reply reply) {
    if (reply.local()) {
      terminal = reply;
      return;
    }
    if (reply.attempt() != attempt) {
      attempt = reply.attempt();
      content.setLength(0);
    }
    if (reply instanceof Reply.Chunk chunk) {
      content.append(chunk.content());
    } else {
      terminal = reply;
    }
  }

  private Mono<GenerateResponse> result() {
    if (terminal instanceof Reply.Done done) {
      return Mono.just(new GenerateResponse(jobId, content.toString(), done.provider(), done.model(), done.finishReason(),
          done.usage(), GenerateResponse.usd(done.costMicroUsd())));
    }
    if (terminal instanceof Reply.Failed failed) {
      return Mono.error(failed.error().exception());
    }
    return Mono.error(ApiError.of(ErrorCode.UNAVAILABLE, "The job ended without an answer; try again.").exception());
  }
}
