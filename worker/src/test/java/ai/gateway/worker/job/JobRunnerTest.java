package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.UsageEvent;
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
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** The attempt's record sequence against a scripted provider; Kafka and HTTP are WorkerIT's. */
class JobRunnerTest {

  private final RecordingPublisher published = new RecordingPublisher();
  private final ScriptedAdapter openai = new ScriptedAdapter();
  private final JobRunner runner = new JobRunner(new ProviderRegistry(List.of(openai)), published,
      new PriceTable(new PricingProperties(Map.of("gpt-4o-mini",
          new ModelPrice(new BigDecimal("0.15"), new BigDecimal("0.60"))))),
      new ErrorReporting(), new JobMetrics(new SimpleMeterRegistry()), new WorkerIdentity("worker-test"),
      new WorkerProperties(null, "ai-workers", 512, 100, Duration.ofSeconds(30), Duration.ofSeconds(1),
          Duration.ofMillis(200), Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofMinutes(10)),
      Clock.systemUTC());

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
    assertThat(running.getLeaseExpiresAt()).isAfter(Instant.now().plusSeconds(25));

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

  private static final class ScriptedAdapter implements ProviderAdapter {

    Function<ProviderRequest, Flux<ProviderEvent>> script = request -> Flux.empty();
    final List<ProviderRequest> requests = new CopyOnWriteArrayList<>();
    final AtomicInteger subscriptions = new AtomicInteger();

    @Override
    public ProviderId id() {
      return ProviderId.OPENAI;
    }

    @Override
    public String defaultModel() {
      return "gpt-4o-mini";
    }

    @Override
    public Flux<ProviderEvent> stream(ProviderRequest request) {
      return Flux.defer(() -> {
        subscriptions.incrementAndGet();
        requests.add(request);
        return script.apply(request);
      });
    }
  }

  private static final class RecordingPublisher implements WorkerPublisher {

    final List<Object> records = new CopyOnWriteArrayList<>();
    volatile boolean failUsage;
    final AtomicReference<@Nullable ProviderCapabilities> capabilities = new AtomicReference<>();

    List<String> kinds() {
      return records.stream().map(record -> {
        if (record instanceof GenerationEvent event) {
          return "reply:" + event.getType();
        } else if (record instanceof JobStatus status) {
          return "status:" + status.getState();
        }
        return "usage:" + ((UsageEvent) record).getOutcome();
      }).toList();
    }

    List<GenerationEvent> replies() {
      return records.stream().filter(GenerationEvent.class::isInstance).map(GenerationEvent.class::cast).toList();
    }

    List<JobStatus> statuses() {
      return records.stream().filter(JobStatus.class::isInstance).map(JobStatus.class::cast).toList();
    }

    List<UsageEvent> usages() {
      return records.stream().filter(UsageEvent.class::isInstance).map(UsageEvent.class::cast).toList();
    }

    @Override
    public CompletableFuture<Void> reply(GenerationEvent event) {
      records.add(event);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> status(JobStatus status) {
      records.add(status);
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> usage(UsageEvent usage) {
      records.add(usage);
      return failUsage ? CompletableFuture.failedFuture(new IllegalStateException("broker down"))
          : CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> capabilities(String workerId, @Nullable ProviderCapabilities value) {
      capabilities.set(value);
      return CompletableFuture.completedFuture(null);
    }
  }
}
