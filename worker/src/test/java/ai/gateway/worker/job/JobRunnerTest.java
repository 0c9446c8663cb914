package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageOutcome;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.config.WorkerProperties;
import ai.gateway.worker.job.PricingProperties.ModelPrice;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.Finished;
import ai.gateway.worker.provider.ProviderAdapter;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderId;
import ai.gateway.worker.provider.ProviderRegistry;
import ai.gateway.worker.provider.ProviderRequest;
import ai.gateway.worker.provider.RequestSent;
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
import ai.gateway.worker.resilience.ProviderCalls;
import ai.gateway.worker.resilience.ProviderCircuits;
import ai.gateway.worker.resilience.ResilienceProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * The attempt's record sequence against scripted providers, with the real retry, fallback and circuit
 * logic; Kafka and HTTP are WorkerIT's and ResilienceIT's.
 */
class JobRunnerTest {

  private static final ResilienceProperties RESILIENCE = new ResilienceProperties(3, Duration.ofMillis(10), 2.0, 0.5,
      Duration.ofMillis(50), ResilienceProperties.defaults().circuit());

  private final RecordingPublisher published = new RecordingPublisher();
  private final ScriptedAdapter openai = new ScriptedAdapter(ProviderId.OPENAI, "gpt-4o-mini");
  private final ScriptedAdapter anthropic = new ScriptedAdapter(ProviderId.ANTHROPIC, "claude-sonnet-4-6");
  private final ProviderCircuits circuits = new ProviderCircuits(RESILIENCE, Clock.systemUTC());
  private final JobRunner runner = runner(List.of(openai));

  private JobRunner runner(List<ProviderAdapter> adapters) {
    return runner(adapters, WorkerPropertiesFixtures.defaults());
  }

  private JobRunner runner(List<ProviderAdapter> adapters, WorkerProperties worker) {
    ProviderCalls calls = new ProviderCalls(new ProviderRegistry(adapters), circuits, RESILIENCE, Clock.systemUTC());
    return new JobRunner(calls, published,
        new PriceTable(new PricingProperties(Map.of("gpt-4o-mini",
            new ModelPrice(new BigDecimal("0.15"), new BigDecimal("0.60"))))),
        new ErrorReporting(), new JobMetrics(new SimpleMeterRegistry()), new WorkerIdentity("worker-test"),
        worker, Clock.systemUTC());
  }

  @Test
  void shouldPublishRunningChunksDoneUsageAndSucceededInOrder() {
    // given
    openai.script = request -> Flux.just(new TextDelta("Hello"), new TextDelta(" there"),
        new UsageReport(7, 2, 9), new Finished("stop", "gpt-4o-mini-2024-07-18", null));
    GenerationJob job = JobFixtures.streamJob().build();

    // when
    runner.start(job).join();

    // then
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:CHUNK", "reply:CHUNK", "reply:DONE",
        "usage:SUCCEEDED", "status:SUCCEEDED");
    JobStatus running = (JobStatus) published.records.get(0);
    assertThat(running.getAttempt()).isEqualTo(1);
    assertThat(running.getWorkerId()).isEqualTo("worker-test");
    assertThat(running.getLeaseExpiresAt()).isAfter(Instant.now().plusSeconds(15));

    List<GenerationEvent> replies = published.replies();
    assertThat(replies).extracting(GenerationEvent::getSeq).containsExactly(1, 2, 3);
    assertThat(replies).extracting(GenerationEvent::getReplyTo).containsOnly("gateway-1");
    GenerationEvent done = replies.get(2);
    assertThat(done.getModel()).isEqualTo("gpt-4o-mini-2024-07-18");
    assertThat(done.getFinishReason()).isEqualTo("stop");
    assertThat(done.getUsage().getPromptTokens()).isEqualTo(7);
    assertThat(done.getUsage().getEstimated()).isFalse();
    assertThat(done.getCostMicroUsd()).isEqualTo(2); // 7 × 0.15 + 2 × 0.60 = 2.25

    UsageEvent usage = published.usages().get(0);
    assertThat(usage.getUserId()).isEqualTo(job.getUserId());
    assertThat(usage.getModel()).isEqualTo("gpt-4o-mini-2024-07-18");
    assertThat(usage.getTotalTokens()).isEqualTo(9);
    assertThat(usage.getPriceKnown()).isTrue();
    assertThat(usage.getProviderAttempt()).isEqualTo(1);

    JobStatus succeeded = published.statuses().get(1);
    assertThat(succeeded.getOutput().getContent()).isEqualTo("Hello there");
    assertThat(succeeded.getOutput().getProvider()).isEqualTo("openai");
    assertThat(openai.requests).singleElement().satisfies(request -> {
      assertThat(request.model()).isEqualTo("gpt-4o-mini");
      assertThat(request.clientRequestId()).isEqualTo(job.getJobId());
      assertThat(request.systemPrompt()).isEqualTo("Be brief.");
    });
  }

  @Test
  void shouldSendTextThatArrivesWhileAChunkIsUnacknowledgedAsOneChunkWhenItIsAcknowledged() {
    // given a provider whose deltas the test releases, and a broker that acknowledges only when told
    Sinks.Many<ProviderEvent> provider = Sinks.many().unicast().onBackpressureBuffer();
    openai.script = request -> provider.asFlux();
    published.holdReplies = true;
    GenerationJob job = JobFixtures.streamJob().build();
    CompletableFuture<Void> completion = runner.start(job);
    await().until(() -> openai.requests.size() == 1);

    // when: the first delta goes out at once; two more arrive before the broker has it
    provider.tryEmitNext(new TextDelta("Hel"));
    provider.tryEmitNext(new TextDelta("lo"));
    provider.tryEmitNext(new TextDelta(" the"));

    // then
    assertThat(published.replies(job.getJobId())).extracting(GenerationEvent::getContent).containsExactly("Hel");

    // when the broker acknowledges it, the held text leaves as one chunk
    published.acknowledgeReplies();

    // then
    assertThat(published.replies(job.getJobId())).extracting(GenerationEvent::getContent).containsExactly("Hel", "lo the");

    // when more text arrives while that one is unacknowledged, and the answer ends
    provider.tryEmitNext(new TextDelta("re"));
    provider.tryEmitNext(new UsageReport(7, 3, 10));
    provider.tryEmitNext(new Finished("stop", "gpt-4o-mini", null));
    provider.tryEmitComplete();
    await().until(() -> published.kinds().contains("reply:DONE"));
    published.acknowledgeReplies();
    completion.join();

    // then the held text goes out before the terminal event, and nothing is lost or repeated
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:CHUNK", "reply:CHUNK", "reply:CHUNK",
        "reply:DONE", "usage:SUCCEEDED", "status:SUCCEEDED");
    assertThat(published.replies(job.getJobId())).extracting(GenerationEvent::getSeq).containsExactly(1, 2, 3, 4);
    assertThat(published.replies(job.getJobId()).subList(0, 3)).extracting(GenerationEvent::getContent)
        .containsExactly("Hel", "lo the", "re");
    assertThat(published.statuses().get(1).getOutput().getContent()).isEqualTo("Hello there");
  }

  @Test
  void shouldSendASyncJobsTextAsOneChunkBeforeItsDone() {
    // given
    openai.script = request -> Flux.just(new TextDelta("Hel"), new TextDelta("lo"), new TextDelta(" there"),
        new UsageReport(7, 3, 10), new Finished("stop", "gpt-4o-mini", null));
    GenerationJob job = JobFixtures.streamJob().setKind(JobKind.SYNC).build();

    // when
    runner.start(job).join();

    // then
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:CHUNK", "reply:DONE", "usage:SUCCEEDED",
        "status:SUCCEEDED");
    assertThat(published.replies(job.getJobId()).get(0).getContent()).isEqualTo("Hello there");
  }

  @Test
  void shouldSendHeldTextBeforeTheErrorWhenTheProviderFailsMidStream() {
    // given a broker that has not acknowledged the first chunk when the provider fails
    published.holdReplies = true;
    openai.script = request -> Flux.<ProviderEvent>just(new TextDelta("Hello"), new TextDelta(" wor"))
        .concatWith(Flux.error(new ProviderException(FailureClass.TRANSIENT, "the provider failed")));
    GenerationJob job = JobFixtures.streamJob().build();

    // when
    CompletableFuture<Void> completion = runner.start(job);
    await().until(() -> published.kinds().contains("reply:ERROR"));
    published.acknowledgeReplies();
    completion.join();

    // then
    assertThat(published.replies(job.getJobId())).extracting(GenerationEvent::getType)
        .containsExactly(GenerationEventType.CHUNK, GenerationEventType.CHUNK, GenerationEventType.ERROR);
    assertThat(published.replies(job.getJobId()).subList(0, 2)).extracting(GenerationEvent::getContent)
        .containsExactly("Hello", " wor");
    assertThat(published.usages(job.getJobId())).singleElement()
        .satisfies(usage -> assertThat(usage.getCompletionTokens()).isEqualTo(3)); // "Hello wor": 9 characters
  }

  @Test
  void shouldEndWithAnErrorAndEstimatedUsageWhenTheProviderFailsMidStream() {
    // given
    openai.script = request -> Flux.<ProviderEvent>just(new TextDelta("Hello"))
        .concatWith(Flux.error(new ProviderException(FailureClass.RATE_LIMIT, "the provider's rate limit was reached",
            Duration.ofMillis(1500), null)));
    GenerationJob job = JobFixtures.streamJob().setPrompt("12345678").setSystemPrompt(null).build();

    // when
    runner.start(job).join();

    // then
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:CHUNK", "reply:ERROR", "usage:FAILED",
        "status:FAILED");
    GenerationEvent error = published.replies().get(1);
    assertThat(error.getSeq()).isEqualTo(2);
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(error.getError().getRetryable()).isTrue();
    assertThat(error.getError().getRetryAfterMs()).isEqualTo(1500);
    assertThat(error.getError().getProvider()).isEqualTo("openai");
    UsageEvent usage = published.usages().get(0);
    assertThat(usage.getEstimated()).isTrue();
    assertThat(usage.getPromptTokens()).isEqualTo(2);
    assertThat(usage.getCompletionTokens()).isEqualTo(2); // "Hello": 5 characters
    assertThat(usage.getErrorCode()).isEqualTo(ErrorCode.RATE_LIMITED);
  }

  @Test
  void shouldRenewTheLeaseWhileTheAttemptRunsAndNeverAfterItsEnd() {
    // given: a 300 ms lease, renewed every 100 ms, and a provider that answers after 450 ms
    JobRunner shortLeases = runner(List.of(openai), WorkerPropertiesFixtures.withLease(Duration.ofMillis(300)));
    openai.script = request -> Flux.<ProviderEvent>just(new TextDelta("Hi"), new Finished("stop", "gpt-4o-mini", null))
        .delaySequence(Duration.ofMillis(450));
    GenerationJob job = JobFixtures.streamJob().build();

    // when
    shortLeases.start(job).join();
    int recordsAtTheEnd = published.records.size();

    // then: several RUNNING records, each lease later than the one before, all before the terminal status
    List<JobStatus> statuses = published.statuses();
    List<JobStatus> leases = statuses.subList(0, statuses.size() - 1);
    assertThat(leases).hasSizeGreaterThanOrEqualTo(3)
        .allSatisfy(status -> assertThat(status.getState()).hasToString("RUNNING"));
    assertThat(leases).extracting(JobStatus::getLeaseExpiresAt).isSorted().doesNotHaveDuplicates();
    assertThat(statuses.get(statuses.size() - 1).getState()).hasToString("SUCCEEDED");
    assertThat(published.kinds().get(published.kinds().size() - 1)).isEqualTo("status:SUCCEEDED");
    // and none after it, for longer than three renewal periods
    await().during(Duration.ofMillis(350)).atMost(Duration.ofSeconds(1))
        .until(() -> published.records.size() == recordsAtTheEnd);
  }

  @Test
  void shouldStopTheProviderCallAndEndCancelledOnCancel() {
    // given
    AtomicBoolean providerCancelled = new AtomicBoolean();
    openai.script = request -> Flux.<ProviderEvent>just(new TextDelta("Hel"))
        .concatWith(Flux.never())
        .doOnCancel(() -> providerCancelled.set(true));
    GenerationJob job = JobFixtures.streamJob().build();
    CompletableFuture<Void> finished = runner.start(job);
    await().until(() -> published.replies().size() == 1);

    // when
    runner.cancel(job.getJobId(), "client-disconnected");

    // then
    finished.join();
    assertThat(providerCancelled).isTrue();
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:CHUNK", "reply:ERROR", "usage:CANCELLED",
        "status:CANCELLED");
    assertThat(published.replies().get(1).getError().getCode()).isEqualTo(ErrorCode.CANCELLED);
    assertThat(published.replies().get(1).getError().getMessage()).contains("client-disconnected");
    assertThat(published.usages().get(0).getEstimated()).isTrue();
    assertThat(runner.isRunning(job.getJobId())).isFalse();
  }

  @Test
  void shouldNotCallTheProviderForAJobCancelledBeforeItArrived() {
    // given
    GenerationJob job = JobFixtures.streamJob().build();
    runner.cancel(job.getJobId(), "user-request");

    // when
    runner.start(job).join();

    // then
    assertThat(openai.subscriptions).hasValue(0);
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:ERROR", "status:CANCELLED");
  }

  @Test
  void shouldTimeOutWithoutACallWhenTheDeadlineHasPassed() {
    // given
    GenerationJob job = JobFixtures.streamJob().setDeadlineAt(Instant.now().minusMillis(1)).build();

    // when
    runner.start(job).join();

    // then
    assertThat(openai.subscriptions).hasValue(0);
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:ERROR", "status:FAILED");
    assertThat(published.replies().get(0).getError().getCode()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(published.replies().get(0).getError().getRetryable()).isTrue();
  }

  @Test
  void shouldTimeOutAtTheAttemptTimeoutAndCancelTheProvider() {
    // given
    AtomicBoolean providerCancelled = new AtomicBoolean();
    openai.script = request -> Flux.<ProviderEvent>never().doOnCancel(() -> providerCancelled.set(true));
    GenerationJob job = JobFixtures.streamJob().setAttemptTimeoutMs(200L).build();

    // when
    runner.start(job).join();

    // then
    assertThat(providerCancelled).isTrue();
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:ERROR", "usage:TIMED_OUT", "status:FAILED");
    assertThat(published.usages().get(0).getCompletionTokens()).isZero();
    assertThat(published.usages().get(0).getPromptTokens()).isPositive();
  }

  @Test
  void shouldPublishNoUsageForACallWhoseRequestNeverWentOut() {
    // given: the connection never comes (a full pool, a provider that does not accept), then the deadline
    openai.reachesProvider = false;
    openai.script = request -> Flux.never();
    GenerationJob job = JobFixtures.streamJob().setAttemptTimeoutMs(200L).build();

    // when
    runner.start(job).join();

    // then: the provider never saw the request, so it cost nothing and no usage event claims otherwise
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:ERROR", "status:FAILED");
    assertThat(published.replies().get(0).getError().getCode()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(published.replies().get(0).getUsage()).isNull();
  }

  @Test
  void shouldRetryAConnectionFailureWithoutAUsageEventForIt() {
    // given: the first call fails before its request went out, the second is answered
    openai.script = request -> Flux.just(new TextDelta("Hello"), new UsageReport(5, 1, 6),
        new Finished("stop", "gpt-4o-mini", null));
    openai.unsentFailures = 1;
    GenerationJob job = JobFixtures.streamJob().build();

    // when
    runner.start(job).join();

    // then
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:CHUNK", "reply:DONE", "usage:SUCCEEDED",
        "status:SUCCEEDED");
    assertThat(published.usages().get(0).getProviderAttempt()).isEqualTo(2);
    assertThat(openai.subscriptions).hasValue(2);
  }

  @Test
  void shouldFailANotConfiguredProviderWithoutACall() {
    // given
    GenerationJob job = JobFixtures.streamJob().setProvider("anthropic").build();

    // when
    runner.start(job).join();

    // then
    assertThat(openai.subscriptions).hasValue(0);
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:ERROR", "status:FAILED");
    assertThat(published.replies().get(0).getError().getCode()).isEqualTo(ErrorCode.PROVIDER_NOT_CONFIGURED);
    assertThat(published.replies().get(0).getError().getRetryable()).isFalse();
  }

  @Test
  void shouldAnswerWithTheRefusalWhenTheModelRefusedInItsOwnField() {
    // given
    openai.script = request -> Flux.just(new UsageReport(79, 11, 90),
        new Finished("stop", "gpt-4o", "I'm sorry, I can't assist with that request."));

    // when
    runner.start(JobFixtures.streamJob().setModel("gpt-4o").build()).join();

    // then
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:CHUNK", "reply:DONE", "usage:SUCCEEDED",
        "status:SUCCEEDED");
    assertThat(published.replies().get(0).getContent()).isEqualTo("I'm sorry, I can't assist with that request.");
    assertThat(published.usages().get(0).getPriceKnown()).isFalse();
    assertThat(published.usages().get(0).getCostMicroUsd()).isZero();
  }

  @Test
  void shouldFailTheJobWhenItsRecordsCannotBeWritten() {
    // given
    openai.script = request -> Flux.just(new TextDelta("x"), new Finished("stop", null, null));
    published.failUsage = true;

    // when
    CompletableFuture<Void> finished = runner.start(JobFixtures.streamJob().build());

    // then
    await().until(finished::isDone);
    assertThat(finished).isCompletedExceptionally();
  }

  @Test
  void shouldRetryAFailureBeforeTheFirstChunkWithOneUsageEventPerCall() {
    // given
    openai.failingFirst(2, FailureClass.TRANSIENT, null);
    GenerationJob job = JobFixtures.streamJob().build();

    // when
    runner.start(job).join();

    // then
    assertThat(openai.subscriptions).hasValue(3);
    assertThat(published.kinds()).containsExactly("status:RUNNING", "usage:FAILED", "usage:FAILED", "reply:CHUNK",
        "reply:DONE", "usage:SUCCEEDED", "status:SUCCEEDED");
    List<UsageEvent> usages = published.usages();
    assertThat(usages).extracting(UsageEvent::getProviderAttempt).containsExactly(1, 2, 3);
    assertThat(usages).extracting(UsageEvent::getEventId).doesNotHaveDuplicates();
    assertThat(usages.get(0).getErrorCode()).isEqualTo(ErrorCode.PROVIDER_ERROR);
    assertThat(usages.get(0).getEstimated()).isTrue();
    assertThat(usages.get(2).getEstimated()).isFalse();
    assertThat(published.replies().get(0).getSeq()).isEqualTo(1);
  }

  @Test
  void shouldNeverRetryOnceTextReachedTheClient() {
    // given
    openai.script = request -> Flux.<ProviderEvent>just(new TextDelta("Hel"))
        .concatWith(Flux.error(new ProviderException(FailureClass.OVERLOADED, "the provider is overloaded")));
    GenerationJob job = JobFixtures.streamJob().build();

    // when
    runner.start(job).join();

    // then
    assertThat(openai.subscriptions).hasValue(1);
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:CHUNK", "reply:ERROR", "usage:FAILED",
        "status:FAILED");
    assertThat(published.replies().get(1).getError().getRetryable()).isTrue();
  }

  @Test
  void shouldStopAfterMaxAttemptsAndEndWithTheLastFailure() {
    // given
    openai.failingFirst(10, FailureClass.OVERLOADED, null);

    // when
    runner.start(JobFixtures.streamJob().build()).join();

    // then: no amplification beyond max-attempts calls per request
    assertThat(openai.subscriptions).hasValue(3);
    GenerationEvent error = published.replies().get(0);
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.PROVIDER_ERROR);
    assertThat(error.getError().getProvider()).isEqualTo("openai");
    assertThat(published.usages()).extracting(UsageEvent::getProviderAttempt).containsExactly(1, 2, 3);
  }

  @Test
  void shouldNotRetryAFailureThatRetryingCannotFix() {
    // given
    openai.failingFirst(10, FailureClass.QUOTA, null);

    // when
    runner.start(JobFixtures.streamJob().build()).join();

    // then
    assertThat(openai.subscriptions).hasValue(1);
    assertThat(published.replies().get(0).getError().getCode()).isEqualTo(ErrorCode.INSUFFICIENT_QUOTA);
  }

  @Test
  void shouldWaitAtLeastTheProvidersRetryDelay() {
    // given
    openai.failingFirst(1, FailureClass.RATE_LIMIT, Duration.ofMillis(300));

    // when
    runner.start(JobFixtures.streamJob().build()).join();

    // then
    assertThat(openai.calledAt).hasSize(2);
    assertThat(Duration.between(openai.calledAt.get(0), openai.calledAt.get(1))).isGreaterThanOrEqualTo(
        Duration.ofMillis(300));
    assertThat(published.replies()).last().extracting(GenerationEvent::getType).isEqualTo(GenerationEventType.DONE);
  }

  @Test
  void shouldFailAtOnceWithTheProvidersDelayWhenItDoesNotFitBeforeTheDeadline() {
    // given
    openai.failingFirst(1, FailureClass.RATE_LIMIT, Duration.ofSeconds(20));
    GenerationJob job = JobFixtures.streamJob().setDeadlineAt(Instant.now().plusSeconds(5)).build();
    Instant started = Instant.now();

    // when
    runner.start(job).join();

    // then
    assertThat(Duration.between(started, Instant.now())).isLessThan(Duration.ofSeconds(2));
    assertThat(openai.subscriptions).hasValue(1);
    GenerationEvent error = published.replies().get(0);
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(error.getError().getRetryAfterMs()).isEqualTo(20_000);
    assertThat(error.getError().getProvider()).isEqualTo("openai");
  }

  @Test
  void shouldFallBackToTheNextProviderWhenTheJobNamesNone() {
    // given
    JobRunner both = runner(List.of(anthropic, openai));
    openai.failingFirst(10, FailureClass.OVERLOADED, null);
    anthropic.failingFirst(0, FailureClass.TRANSIENT, null);

    // when
    both.start(JobFixtures.streamJob().build()).join();

    // then
    assertThat(openai.subscriptions).hasValue(1);
    assertThat(anthropic.subscriptions).hasValue(1);
    assertThat(anthropic.requests.get(0).model()).isEqualTo("claude-sonnet-4-6");
    GenerationEvent done = published.replies().get(1);
    assertThat(done.getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(done.getProvider()).isEqualTo("anthropic");
    assertThat(published.usages()).extracting(UsageEvent::getProvider, UsageEvent::getProviderAttempt,
        UsageEvent::getOutcome).containsExactly(
            org.assertj.core.groups.Tuple.tuple("openai", 1, UsageOutcome.FAILED),
            org.assertj.core.groups.Tuple.tuple("anthropic", 2, UsageOutcome.SUCCEEDED));
  }

  @Test
  void shouldStayWithTheNamedProviderOrModel() {
    // given
    JobRunner both = runner(List.of(openai, anthropic));
    openai.failingFirst(10, FailureClass.OVERLOADED, null);

    // when
    both.start(JobFixtures.streamJob().setProvider("openai").build()).join();
    both.start(JobFixtures.streamJob().setModel("gpt-4o").build()).join();

    // then
    assertThat(openai.subscriptions).hasValue(6);
    assertThat(anthropic.subscriptions).hasValue(0);
  }

  @Test
  void shouldFailWithUnavailableAndARetryDelayWhileTheCircuitIsOpen() {
    // given
    circuits.breaker(ProviderId.OPENAI).transitionToOpenState();
    JobRunner both = runner(List.of(openai, anthropic));
    anthropic.failingFirst(0, FailureClass.TRANSIENT, null);

    // when
    both.start(JobFixtures.streamJob().setProvider("openai").build()).join();
    both.start(JobFixtures.streamJob().build()).join();

    // then
    assertThat(openai.subscriptions).hasValue(0);
    GenerationEvent unavailable = published.replies().get(0);
    assertThat(unavailable.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(unavailable.getError().getRetryable()).isTrue();
    assertThat(unavailable.getError().getProvider()).isEqualTo("openai");
    assertThat(unavailable.getError().getRetryAfterMs()).isPositive();
    assertThat(published.replies()).last().satisfies(done -> {
      assertThat(done.getType()).isEqualTo(GenerationEventType.DONE);
      assertThat(done.getProvider()).isEqualTo("anthropic");
    });
  }

  @Test
  void shouldRefuseAModelOutsideTheProvidersAllowlistWithoutACall() {
    // given
    openai.allowed = List.of("gpt-4o-mini");

    // when
    runner.start(JobFixtures.streamJob().setProvider("openai").setModel("gpt-4o").build()).join();

    // then
    assertThat(openai.subscriptions).hasValue(0);
    assertThat(published.kinds()).containsExactly("status:RUNNING", "reply:ERROR", "status:FAILED");
    assertThat(published.replies().get(0).getError().getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
  }

  @Test
  void shouldUseTheProvidersDefaultsForAJobWithoutMaxTokensOrTemperature() {
    // given
    openai.failingFirst(0, FailureClass.TRANSIENT, null);

    // when
    runner.start(JobFixtures.streamJob().setMaxTokens(0).setTemperature(Double.NaN).build()).join();

    // then
    assertThat(openai.requests.get(0).maxTokens()).isEqualTo(1024);
    assertThat(openai.requests.get(0).temperature()).isEqualTo(0.7);
  }

  @Test
  void shouldKeepAPartialPromptCountAndEstimateTheRest() {
    // given: Anthropic's message_start came, then the stream broke
    openai.script = request -> Flux.<ProviderEvent>just(UsageReport.promptOnly(25), new TextDelta("Hello"))
        .concatWith(Flux.error(new ProviderException(FailureClass.OVERLOADED, "the provider is overloaded")));

    // when
    runner.start(JobFixtures.streamJob().build()).join();

    // then
    UsageEvent usage = published.usages().get(0);
    assertThat(usage.getPromptTokens()).isEqualTo(25);
    assertThat(usage.getCompletionTokens()).isEqualTo(2);
    assertThat(usage.getEstimated()).isTrue();
  }

  private static final class ScriptedAdapter implements ProviderAdapter {

    Function<ProviderRequest, Flux<ProviderEvent>> script = request -> Flux.empty();
    final List<ProviderRequest> requests = new CopyOnWriteArrayList<>();
    final List<Instant> calledAt = new CopyOnWriteArrayList<>();
    final AtomicInteger subscriptions = new AtomicInteger();
    private final ProviderId id;
    private final String defaultModel;
    List<String> allowed = List.of();
    /** Whether a call's request goes out (as the real adapters' HTTP client signals it). */
    boolean reachesProvider = true;
    /** The first calls fail as a refused connection does: before their request went out. */
    int unsentFailures;

    ScriptedAdapter(ProviderId id, String defaultModel) {
      this.id = id;
      this.defaultModel = defaultModel;
    }

    /** Fails the first {@code failures} calls with this class, then answers "Hello". */
    ScriptedAdapter failingFirst(int failures, FailureClass failure, @Nullable Duration retryAfter) {
      script = request -> subscriptions.get() <= failures
          ? Flux.error(new ProviderException(failure, failure.description() + " (HTTP scripted)", retryAfter, null))
          : Flux.just(new TextDelta("Hello"), new UsageReport(5, 1, 6), new Finished("stop", defaultModel, null));
      return this;
    }

    @Override
    public ProviderId id() {
      return id;
    }

    @Override
    public String defaultModel() {
      return defaultModel;
    }

    @Override
    public List<String> allowedModels() {
      return allowed;
    }

    @Override
    public Flux<ProviderEvent> stream(ProviderRequest request) {
      return Flux.deferContextual(context -> {
        int call = subscriptions.incrementAndGet();
        requests.add(request);
        calledAt.add(Instant.now());
        if (call <= unsentFailures) {
          return Flux.error(new ProviderException(FailureClass.TRANSIENT, "the provider could not be reached"));
        }
        if (reachesProvider) {
          RequestSent.signal(context);
        }
        return script.apply(request);
      });
    }
  }
}
