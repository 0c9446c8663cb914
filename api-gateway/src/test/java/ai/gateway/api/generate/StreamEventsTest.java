package ai.gateway.api.generate;

import static ai.gateway.api.generate.Fixtures.chunk;
import static ai.gateway.api.generate.Fixtures.done;
import static ai.gateway.api.generate.Fixtures.error;
import static ai.gateway.api.generate.Fixtures.reply;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.ErrorReporter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class StreamEventsTest {

  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final StreamEvents events = new StreamEvents(Duration.ofSeconds(15), new ErrorReporter(meters));

  @Test
  void shouldNameEventsAndNumberThemAttemptDotSeq() {
    Flux<Reply> replies = Flux.just(reply(chunk("j", 1, 1, "Hel")), reply(chunk("j", 1, 2, "lo")), reply(done("j", 1, 3)));

    StepVerifier.create(render(replies))
        .assertNext(event -> {
          assertThat(event.id()).isEqualTo("1.1");
          assertThat(event.event()).isEqualTo("chunk");
          assertThat(event.data()).isEqualTo(new StreamEvents.ChunkData("j", "Hel"));
        })
        .assertNext(event -> assertThat(event.id()).isEqualTo("1.2"))
        .assertNext(event -> {
          assertThat(event.id()).isEqualTo("1.3");
          assertThat(event.event()).isEqualTo("done");
          StreamEvents.DoneData data = (StreamEvents.DoneData) event.data();
          assertThat(data.jobId()).isEqualTo("j");
          assertThat(data.usage().totalTokens()).isEqualTo(5);
          assertThat(data.costUsd()).isEqualByComparingTo(new BigDecimal("0.0001"));
        })
        .verifyComplete();
    assertThat(meters.getMeters()).as("a stream that ended well reports no error").isEmpty();
  }

  @Test
  void shouldFormatEventIdsFromAttemptAndSeq() {
    assertThat(StreamEvents.eventId(new Reply.Chunk(2, 17, "x"))).isEqualTo("2.17");
  }

  @Test
  void shouldFailTheResponseWhenTheFirstEventIsAnError() {
    Flux<Reply> replies = Flux.just(reply(error("j", 1, 1, ai.gateway.schemas.v1.ErrorCode.RATE_LIMITED, true)));

    StepVerifier.create(render(replies))
        .expectErrorSatisfies(e -> {
          ApiError error = ((ApiException) e).error();
          assertThat(error.code()).isEqualTo(ErrorCode.RATE_LIMITED);
          assertThat(error.status()).isEqualTo(429);
        })
        .verify();
  }

  @Test
  void shouldFailTheResponseWhenNothingArrivedBeforeAFailure() {
    Flux<Reply> replies = Flux.error(ApiError.of(ErrorCode.UNAVAILABLE, "queue down").exception());

    StepVerifier.create(render(replies))
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().status()).isEqualTo(503))
        .verify();
  }

  @Test
  void shouldSendLaterErrorsAsTheLastEvent() {
    Flux<Reply> replies = Flux.just(reply(chunk("j", 1, 1, "Hel")),
        reply(error("j", 1, 2, ai.gateway.schemas.v1.ErrorCode.PROVIDER_ERROR, true)),
        reply(chunk("j", 1, 3, "never")));

    StepVerifier.create(render(replies))
        .expectNextMatches(event -> "chunk".equals(event.event()))
        .assertNext(event -> {
          assertThat(event.id()).isEqualTo("1.2");
          assertThat(event.event()).isEqualTo("error");
          assertThat(event.data()).isEqualTo(new StreamEvents.ErrorData("PROVIDER_ERROR", "The provider failed.", true, "openai"));
        })
        .verifyComplete();
    assertThat(meters.counter("gateway.errors", "code", "PROVIDER_ERROR", "status", "502").count()).isEqualTo(1);
  }

  @Test
  void shouldTurnAFailureAfterTheFirstEventIntoAnErrorEvent() {
    Flux<Reply> replies = Flux.concat(Flux.just(reply(chunk("j", 1, 1, "Hel"))),
        Flux.error(ApiError.of(ErrorCode.UNAVAILABLE, "The client did not read the stream fast enough.").exception()));

    StepVerifier.create(render(replies))
        .expectNextCount(1)
        .assertNext(event -> {
          assertThat(event.event()).isEqualTo("error");
          assertThat(event.id()).isNull();
          assertThat(((StreamEvents.ErrorData) event.data()).code()).isEqualTo("UNAVAILABLE");
        })
        .verifyComplete();
  }

  @Test
  void shouldNeverSpliceTextOfTwoAttempts() {
    Flux<Reply> replies = Flux.just(reply(chunk("j", 1, 1, "Hel")), reply(chunk("j", 2, 1, "Hello")), reply(done("j", 2, 2)));

    StepVerifier.create(render(replies))
        .expectNextCount(1)
        .assertNext(event -> {
          assertThat(event.event()).isEqualTo("error");
          StreamEvents.ErrorData data = (StreamEvents.ErrorData) event.data();
          assertThat(data.code()).isEqualTo("UNAVAILABLE");
          assertThat(data.retryable()).isTrue();
        })
        .verifyComplete();
  }

  @Test
  void shouldFollowANewAttemptWhenNoTextWasSentYet() {
    Flux<Reply> replies = Flux.just(reply(done("j", 2, 1)));

    StepVerifier.create(render(replies))
        .assertNext(event -> assertThat(event.id()).isEqualTo("2.1"))
        .verifyComplete();
  }

  @Test
  void shouldSendKeepAlivesOnlyAfterTheFirstEvent() {
    StepVerifier.withVirtualTime(() -> render(Flux.concat(
            Flux.just(reply(chunk("j", 1, 1, "Hel"))).delaySubscription(Duration.ofSeconds(40)),
            Flux.just(reply(done("j", 1, 2))).delaySubscription(Duration.ofSeconds(31)))))
        .expectSubscription()
        .expectNoEvent(Duration.ofSeconds(40))
        .expectNextMatches(event -> "chunk".equals(event.event()))
        .expectNoEvent(Duration.ofSeconds(15))
        .assertNext(StreamEventsTest::assertKeepAlive)
        .expectNoEvent(Duration.ofSeconds(15))
        .assertNext(StreamEventsTest::assertKeepAlive)
        .thenAwait(Duration.ofSeconds(1))
        .expectNextMatches(event -> "done".equals(event.event()))
        .verifyComplete();
    assertThat(meters.getMeters()).isEmpty();
  }

  @Test
  void shouldRenderAReplayAsALiveStreamAndAnEmptyReplayAsAnEmptyStream() {
    StepVerifier.create(events.renderReplay("j", Flux.just(chunk("j", 1, 2, "lo"), done("j", 1, 3)), "req-1"))
        .assertNext(event -> assertThat(event.id()).isEqualTo("1.2"))
        .assertNext(event -> assertThat(event.event()).isEqualTo("done"))
        .verifyComplete();
    // the caller had seen the end already: nothing, and no error
    StepVerifier.create(events.renderReplay("j", Flux.empty(), "req-1")).verifyComplete();
    // a replay that fails before any event is the HTTP answer, as for a live stream
    StepVerifier.create(events.renderReplay("j",
            Flux.error(ApiError.of(ErrorCode.TIMEOUT, "The job's events did not end.").exception()), "req-1"))
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.TIMEOUT))
        .verify();
  }

  private static void assertKeepAlive(ServerSentEvent<Object> event) {
    assertThat(event.comment()).isEqualTo(" keep-alive");
    assertThat(event.event()).isNull();
    assertThat(event.data()).isNull();
  }

  private Flux<ServerSentEvent<Object>> render(Flux<Reply> replies) {
    return events.render(new JobDispatcher.Run("j", replies), "req-1");
  }
}
