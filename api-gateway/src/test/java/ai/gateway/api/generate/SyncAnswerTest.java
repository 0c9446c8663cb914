package ai.gateway.api.generate;

import static ai.gateway.api.generate.Fixtures.chunk;
import static ai.gateway.api.generate.Fixtures.done;
import static ai.gateway.api.generate.Fixtures.error;
import static ai.gateway.api.generate.Fixtures.reply;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class SyncAnswerTest {

  @Test
  void shouldConcatenateChunksWithUsageAndCost() {
    Flux<Reply> replies = Flux.just(reply(chunk("j", 1, 1, "Hel")), reply(chunk("j", 1, 2, "lo")), reply(done("j", 1, 3)));

    StepVerifier.create(SyncAnswer.of(new JobDispatcher.Run("j", replies)))
        .assertNext(response -> {
          assertThat(response.jobId()).isEqualTo("j");
          assertThat(response.content()).isEqualTo("Hello");
          assertThat(response.provider()).isEqualTo("openai");
          assertThat(response.model()).isEqualTo("gpt-test");
          assertThat(response.finishReason()).isEqualTo("stop");
          assertThat(response.usage()).isEqualTo(new UsageBody(3, 2, 5, false));
          assertThat(response.costUsd()).isEqualByComparingTo(new BigDecimal("0.0001"));
        })
        .verifyComplete();
  }

  @Test
  void shouldRestartTheTextWhenANewAttemptTakesOver() {
    Flux<Reply> replies = Flux.just(reply(chunk("j", 1, 1, "lost ")), reply(chunk("j", 2, 1, "fresh")), reply(done("j", 2, 2)));

    StepVerifier.create(SyncAnswer.of(new JobDispatcher.Run("j", replies)))
        .assertNext(response -> assertThat(response.content()).isEqualTo("fresh"))
        .verifyComplete();
  }

  @Test
  void shouldFailWithTheWorkersError() {
    Flux<Reply> replies = Flux.just(reply(chunk("j", 1, 1, "Hel")),
        reply(error("j", 1, 2, ai.gateway.schemas.v1.ErrorCode.CONTENT_FILTERED, false)));

    StepVerifier.create(SyncAnswer.of(new JobDispatcher.Run("j", replies)))
        .expectErrorSatisfies(e -> {
          ApiError error = ((ApiException) e).error();
          assertThat(error.code()).isEqualTo(ErrorCode.CONTENT_FILTERED);
          assertThat(error.status()).isEqualTo(422);
          assertThat(error.provider()).isEqualTo("openai");
        })
        .verify();
  }

  @Test
  void shouldFailWhenRepliesEndWithoutATerminalEvent() {
    StepVerifier.create(SyncAnswer.of(new JobDispatcher.Run("j", Flux.just(reply(chunk("j", 1, 1, "x"))))))
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .verify();
  }
}
