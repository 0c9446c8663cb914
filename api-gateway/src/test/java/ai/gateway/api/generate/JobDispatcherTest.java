package ai.gateway.api.generate;

import static ai.gateway.api.generate.Fixtures.chunk;
import static ai.gateway.api.generate.Fixtures.done;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.IntStream;

import ai.gateway.api.access.AccessFixtures;
import ai.gateway.api.config.InstanceId;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControlAction;
import ai.gateway.schemas.v1.JobKind;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class JobDispatcherTest {

  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00.123456Z");

  private final Fixtures.InMemoryReplies replies = new Fixtures.InMemoryReplies();
  private final Fixtures.RecordingPublisher publisher = new Fixtures.RecordingPublisher(replies);
  private final JobDispatcher dispatcher = new JobDispatcher(publisher, replies, new InstanceId("gw-1"), Duration.ofSeconds(30), Duration.ofSeconds(2),
      Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void shouldListenBeforePublishingAndFillTheJob() {
    // given
    JobDispatcher.Run run = dispatcher.submit(submission(JobKind.STREAM));

    // when
    StepVerifier.create(run.replies())
        .then(() -> replies.emit(done(run.jobId(), 1, 1)))
        .expectNextMatches(Reply::terminal)
        .verifyComplete();

    // then
    assertThat(publisher.listeningAtPublish).containsExactly(true);
    GenerationJob job = publisher.jobs.get(0);
    assertThat(job.getJobId()).isEqualTo(run.jobId());
    assertThat(job.getKind()).isEqualTo(JobKind.STREAM);
    assertThat(job.getUserId()).isEqualTo("dev-user");
    assertThat(job.getRequestId()).isEqualTo("req-1");
    assertThat(job.getPrompt()).isEqualTo("hi");
    assertThat(job.getMaxTokens()).isEqualTo(1024);
    assertThat(job.getTemperature()).isEqualTo(0.7);
    assertThat(job.getDelivery()).isEqualTo(1);
    assertThat(job.getReplyTo()).isEqualTo("gw-1");
    assertThat(job.getCreatedAt()).isEqualTo(Instant.parse("2026-11-28T12:00:00.123Z"));
    assertThat(job.getDeadlineAt()).isEqualTo(Instant.parse("2026-11-28T12:00:30.123Z"));
    assertThat(publisher.controls).isEmpty();
  }

  @Test
  void shouldMakeTimeOrderedVersion7JobIds() {
    String first = dispatcher.submit(submission(JobKind.SYNC)).jobId();
    String second = dispatcher.submit(submission(JobKind.SYNC)).jobId();

    assertThat(java.util.UUID.fromString(first).version()).isEqualTo(7);
    assertThat(second).isGreaterThan(first);
  }

  @Test
  void shouldMakeOnlyJobIdsWhoseRepliesComeBackToThisInstance() {
    // when: the in-memory stream accepts about one id in four
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<String> ids = IntStream.range(0, 200).mapToObj(i -> dispatcher.submit(submission(JobKind.SYNC)).jobId()).toList();
    Instant after = Instant.now();

    // then: and each carries its creation millisecond, for replaying its events
    assertThat(ids).allMatch(replies::routesHere).doesNotHaveDuplicates();
    assertThat(ids).allSatisfy(id -> assertThat(JobIds.createdAt(id)).isBetween(before, after));
  }

  @Test
  void shouldPublishCancelWhenTheClientGoesAwayBeforeTheEnd() {
    JobDispatcher.Run run = dispatcher.submit(submission(JobKind.STREAM));

    StepVerifier.create(run.replies())
        .then(() -> replies.emit(chunk(run.jobId(), 1, 1, "Hel")))
        .expectNextMatches(reply -> !reply.terminal())
        .thenCancel()
        .verify();

    assertThat(publisher.controls).singleElement().satisfies(control -> {
      assertThat(control.getJobId()).isEqualTo(run.jobId());
      assertThat(control.getAction()).isEqualTo(JobControlAction.CANCEL);
      assertThat(control.getReason()).isEqualTo("client-disconnected");
      assertThat(control.getUserId()).isEqualTo("dev-user");
    });
    assertThat(replies.isListening(run.jobId())).isFalse();
  }

  @Test
  void shouldNotCancelAFinishedJob() {
    JobDispatcher.Run run = dispatcher.submit(submission(JobKind.STREAM));

    StepVerifier.create(run.replies(), 1)
        .then(() -> replies.emit(done(run.jobId(), 1, 1)))
        .expectNextMatches(Reply::terminal)
        .thenCancel()
        .verify();

    assertThat(publisher.controls).isEmpty();
  }

  @Test
  void shouldTimeOutAtTheDeadlineAndCancelTheJob() {
    StepVerifier.withVirtualTime(() -> dispatcher.submit(submission(JobKind.SYNC)).replies())
        .expectSubscription()
        .thenAwait(Duration.ofSeconds(29))
        .expectNoEvent(Duration.ofMillis(900))
        .thenAwait(Duration.ofSeconds(1))
        .assertNext(reply -> {
          assertThat(reply).isInstanceOf(Reply.Failed.class);
          assertThat(((Reply.Failed) reply).error().code()).isEqualTo(ErrorCode.TIMEOUT);
          assertThat(reply.local()).isTrue();
        })
        .verifyComplete();

    assertThat(publisher.controls).singleElement()
        .satisfies(control -> assertThat(control.getReason()).isEqualTo("deadline-exceeded"));
  }

  @Test
  void shouldFailWithoutCancelWhenThePublishFails() {
    publisher.failWith(ApiError.of(ErrorCode.UNAVAILABLE, "queue down").exception());

    StepVerifier.create(dispatcher.submit(submission(JobKind.SYNC)).replies())
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .verify(Duration.ofSeconds(5));

    assertThat(publisher.controls).isEmpty();
    assertThat(publisher.listeningAtPublish).containsExactly(true);
  }

  @Test
  void shouldRefuseWhileTheReplyStreamIsNotReady() {
    replies.ready = false;

    StepVerifier.create(dispatcher.submit(submission(JobKind.SYNC)).replies())
        .expectErrorSatisfies(e -> {
          assertThat(((ApiException) e).error().status()).isEqualTo(503);
          // as a publish that timed out says: a client cannot tell which of the two it met
          assertThat(((ApiException) e).error().retryAfter()).isEqualTo(Duration.ofSeconds(2));
        })
        .verify(Duration.ofSeconds(5));

    assertThat(publisher.jobs).isEmpty();
  }

  @Test
  void shouldDropDuplicatesAndOlderAttempts() {
    JobDispatcher.ReplyOrder order = new JobDispatcher.ReplyOrder();

    assertThat(order.admit(new Reply.Chunk(1, 1, "a"))).isTrue();
    assertThat(order.admit(new Reply.Chunk(1, 1, "a"))).isFalse();
    assertThat(order.admit(new Reply.Chunk(1, 2, "b"))).isTrue();
    assertThat(order.admit(new Reply.Chunk(2, 1, "x"))).isTrue();
    assertThat(order.admit(new Reply.Chunk(1, 3, "c"))).isFalse();
    assertThat(order.admit(new Reply.Chunk(2, 2, "y"))).isTrue();
  }

  private static JobDispatcher.Submission submission(JobKind kind) {
    return new JobDispatcher.Submission(AccessFixtures.admitted("dev-user",
        new GenerationParams("hi", null, null, null, 1024, 0.7)), "req-1", kind);
  }
}
