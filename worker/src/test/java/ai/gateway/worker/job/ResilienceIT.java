package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageOutcome;
import ai.gateway.simulator.LedgerEntry;
import ai.gateway.simulator.ProviderSimulator;
import ai.gateway.simulator.SimulatorConfig;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.provider.ProviderAdapter;
import ai.gateway.worker.provider.ProviderId;
import ai.gateway.worker.provider.ProviderProperties;
import ai.gateway.worker.provider.ProviderRegistry;
import ai.gateway.worker.provider.Secret;
import ai.gateway.worker.provider.anthropic.AnthropicAdapter;
import ai.gateway.worker.provider.gemini.GeminiAdapter;
import ai.gateway.worker.provider.openai.OpenAiAdapter;
import ai.gateway.worker.resilience.ProviderCalls;
import ai.gateway.worker.resilience.ProviderCircuits;
import ai.gateway.worker.resilience.ResilienceProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Retries, fallback and circuit breaking with the real adapters against the provider simulator over real
 * HTTP; the simulator's ledger proves how many calls went upstream (no retry amplification: calls per job
 * attempt are at most {@code max-attempts}).
 */
class ResilienceIT {

  private static final int MAX_ATTEMPTS = 3;
  /** A small window so a storm opens the circuit after a few calls, and a short wait so it recovers here. */
  private static final ResilienceProperties RESILIENCE = new ResilienceProperties(MAX_ATTEMPTS, Duration.ofMillis(20),
      2.0, 0.5, Duration.ofMillis(200), new ResilienceProperties.Circuit(50, 10, 5, Duration.ofSeconds(1), 2));

  private static ProviderSimulator simulator;
  private final RecordingPublisher published = new RecordingPublisher();
  private final ProviderCircuits circuits = new ProviderCircuits(RESILIENCE, Clock.systemUTC());
  private final List<AutoCloseable> adapters = new ArrayList<>();

  @BeforeAll
  static void startSimulator() {
    simulator = ProviderSimulator.start(SimulatorConfig.defaults());
  }

  @AfterAll
  static void stopSimulator() {
    simulator.close();
  }

  @AfterEach
  void closeAdapters() throws Exception {
    for (AutoCloseable adapter : adapters) {
      adapter.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic", "gemini"})
  void shouldRetryAServerErrorAtMostMaxAttemptsTimes(String provider) {
    // given
    JobRunner runner = runner(defaults());
    GenerationJob job = JobFixtures.streamJob().setProvider(provider).setModel("sim-error-500").build();

    // when
    runner.start(job).join();

    // then
    List<LedgerEntry> calls = simulator.ledger().byClientRequestId(job.getJobId());
    assertThat(calls).hasSize(MAX_ATTEMPTS).allSatisfy(call -> assertThat(call.httpStatus()).isEqualTo(500));
    GenerationEvent error = published.terminal(job.getJobId());
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.PROVIDER_ERROR);
    assertThat(error.getError().getRetryable()).isTrue();
    assertThat(error.getError().getProvider()).isEqualTo(provider);
    List<UsageEvent> usages = published.usages(job.getJobId());
    assertThat(usages).extracting(UsageEvent::getProviderAttempt).containsExactly(1, 2, 3);
    assertThat(usages).extracting(UsageEvent::getEventId).doesNotHaveDuplicates();
    assertThat(usages).allSatisfy(usage -> assertThat(usage.getOutcome()).isEqualTo(UsageOutcome.FAILED));
  }

  @ParameterizedTest
  @ValueSource(strings = {"openai", "anthropic", "gemini"})
  void shouldSucceedOnTheThirdCallAfterTwoFailures(String provider) {
    // given: the simulator fails the first two calls with the same X-Client-Request-Id
    JobRunner runner = runner(defaults());
    GenerationJob job = JobFixtures.streamJob().setProvider(provider).setModel("sim-fail-then-ok-2").build();

    // when
    runner.start(job).join();

    // then
    List<LedgerEntry> calls = simulator.ledger().byClientRequestId(job.getJobId());
    assertThat(calls).extracting(LedgerEntry::httpStatus).containsExactly(500, 500, 200);
    GenerationEvent done = published.terminal(job.getJobId());
    assertThat(done.getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(done.getUsage().getCompletionTokens()).isEqualTo(calls.get(2).completionTokens());
    assertThat(done.getUsage().getEstimated()).isFalse();
    String text = published.replies(job.getJobId()).stream().filter(e -> e.getType() == GenerationEventType.CHUNK)
        .map(GenerationEvent::getContent).reduce("", String::concat);
    assertThat(text).isEqualTo(calls.get(2).content());
    assertThat(published.usages(job.getJobId())).extracting(UsageEvent::getProviderAttempt, UsageEvent::getOutcome)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1, UsageOutcome.FAILED),
            org.assertj.core.groups.Tuple.tuple(2, UsageOutcome.FAILED),
            org.assertj.core.groups.Tuple.tuple(3, UsageOutcome.SUCCEEDED));
  }

  @Test
  void shouldHonourTheProvidersRetryDelayOnARateLimit() {
    // given: Gemini's 429 carries RetryInfo 1s
    JobRunner runner = runner(defaults());
    GenerationJob job = JobFixtures.streamJob().setProvider("gemini").setModel("sim-error-429").build();

    // when
    runner.start(job).join();

    // then
    List<LedgerEntry> calls = simulator.ledger().byClientRequestId(job.getJobId());
    assertThat(calls).hasSize(MAX_ATTEMPTS);
    for (int i = 1; i < calls.size(); i++) {
      assertThat(Duration.between(calls.get(i - 1).startedAt(), calls.get(i).startedAt()))
          .isGreaterThanOrEqualTo(Duration.ofMillis(950));
    }
    GenerationEvent error = published.terminal(job.getJobId());
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(error.getError().getRetryAfterMs()).isEqualTo(1000);
    assertThat(error.getError().getProvider()).isEqualTo("gemini");
  }

  @Test
  void shouldFailAtOnceWithRateLimitedWhenTheDelayNoLongerFitsBeforeTheDeadline() {
    // given: 1.5 s left; the first retry (after 1 s) fits, the second does not. A first call warms the
    // connection pool, so the cold start does not eat into the deadline.
    JobRunner runner = runner(defaults());
    runner.start(JobFixtures.streamJob().setProvider("anthropic").setModel("sim-tokens-1").build()).join();
    GenerationJob job = JobFixtures.streamJob().setProvider("anthropic").setModel("sim-error-429")
        .setDeadlineAt(Instant.now().plusMillis(1500)).build();

    // when
    runner.start(job).join();

    // then
    assertThat(simulator.ledger().byClientRequestId(job.getJobId())).hasSize(2);
    GenerationEvent error = published.terminal(job.getJobId());
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(error.getError().getRetryAfterMs()).isEqualTo(1000);
    assertThat(error.getTimestamp()).isBefore(job.getDeadlineAt());
  }

  @Test
  void shouldFallBackToTheNextConfiguredProviderWhenTheJobNamesNone() {
    // given: OpenAI's default model is an overloaded one
    JobRunner runner = runner(List.of(adapter("openai", "sim-error-503"), adapter("anthropic", "claude-sonnet-4-6"),
        adapter("gemini", "gemini-3.5-flash")));
    GenerationJob job = JobFixtures.streamJob().build();

    // when
    runner.start(job).join();

    // then
    assertThat(simulator.ledger().byClientRequestId(job.getJobId())).extracting(LedgerEntry::provider)
        .containsExactly("openai", "anthropic");
    GenerationEvent done = published.terminal(job.getJobId());
    assertThat(done.getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(done.getProvider()).isEqualTo("anthropic");
    assertThat(done.getModel()).isEqualTo("claude-sonnet-4-6");
  }

  @Test
  void shouldOpenTheCircuitUnderA529StormThenRecoverOnItsOwn() {
    // given: Anthropic answers 529 overloaded_error
    JobRunner runner = runner(defaults());
    List<GenerationJob> storm = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      storm.add(JobFixtures.streamJob().setProvider("anthropic").setModel("sim-error-503").build());
    }

    // when: ten requests, one after the other
    for (GenerationJob job : storm) {
      runner.start(job).join();
    }

    // then: at most max-attempts calls per request, and far fewer once the circuit opened
    long calls = storm.stream().mapToLong(job -> simulator.ledger().byClientRequestId(job.getJobId()).size()).sum();
    assertThat(calls).isLessThanOrEqualTo((long) MAX_ATTEMPTS * storm.size()).isEqualTo(5);
    GenerationEvent last = published.terminal(storm.get(storm.size() - 1).getJobId());
    assertThat(last.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(last.getError().getProvider()).isEqualTo("anthropic");
    assertThat(last.getError().getRetryable()).isTrue();
    assertThat(last.getError().getRetryAfterMs()).isBetween(1L, 1000L);
    assertThat(circuits.isOpen(ProviderId.ANTHROPIC)).isTrue();
    assertThat(simulator.ledger().byClientRequestId(last.getJobId())).isEmpty();

    // when: the wait is over, healthy calls close it again
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> !circuits.isOpen(ProviderId.ANTHROPIC));
    GenerationJob probe1 = JobFixtures.streamJob().setProvider("anthropic").setModel("claude-sonnet-4-6").build();
    GenerationJob probe2 = JobFixtures.streamJob().setProvider("anthropic").setModel("claude-sonnet-4-6").build();
    runner.start(probe1).join();
    runner.start(probe2).join();

    // then
    assertThat(published.terminal(probe1.getJobId()).getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(published.terminal(probe2.getJobId()).getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(circuits.breaker(ProviderId.ANTHROPIC).getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }

  @Test
  void shouldCountNoUsageForCallsThatNeverReachedTheProvider() throws Exception {
    // given: a provider nobody listens at (a port just freed), then a reachable one as fallback
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    OpenAiAdapter unreachable = new OpenAiAdapter(properties("http://127.0.0.1:" + closedPort + "/v1", "gpt-4o-mini"));
    adapters.add(unreachable);
    JobRunner runner = runner(List.of(unreachable, adapter("anthropic", "claude-sonnet-4-6")));
    GenerationJob job = JobFixtures.streamJob().build();

    // when
    runner.start(job).join();

    // then: the refused connection was retried elsewhere and cost nothing; the answered call has its event
    assertThat(published.terminal(job.getJobId()).getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(published.usages(job.getJobId())).singleElement().satisfies(usage -> {
      assertThat(usage.getProvider()).isEqualTo("anthropic");
      assertThat(usage.getProviderAttempt()).isEqualTo(2);
      assertThat(usage.getOutcome()).isEqualTo(UsageOutcome.SUCCEEDED);
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"sim-stall", "sim-ms-3000"})
  void shouldCountAnEstimatedUsageEventForACallCutShortByTheDeadline(String model) {
    // given: a call the provider is still answering when the attempt's timeout strikes
    JobRunner runner = runner(defaults());
    GenerationJob job = JobFixtures.streamJob().setProvider("openai").setModel(model).setAttemptTimeoutMs(700L)
        .build();

    // when
    runner.start(job).join();

    // then: the request reached the provider, which may bill it: one estimated usage event
    assertThat(simulator.ledger().byClientRequestId(job.getJobId())).hasSize(1);
    assertThat(published.terminal(job.getJobId()).getError().getCode()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(published.usages(job.getJobId())).singleElement().satisfies(usage -> {
      assertThat(usage.getOutcome()).isEqualTo(UsageOutcome.TIMED_OUT);
      assertThat(usage.getEstimated()).isTrue();
      assertThat(usage.getPromptTokens()).isPositive();
    });
  }

  private List<ProviderAdapter> defaults() {
    return List.of(adapter("openai", "gpt-4o-mini"), adapter("anthropic", "claude-sonnet-4-6"),
        adapter("gemini", "gemini-3.5-flash"));
  }

  private ProviderAdapter adapter(String provider, String defaultModel) {
    ProviderAdapter adapter = switch (provider) {
      case "openai" -> new OpenAiAdapter(properties(simulator.openAiBaseUrl(), defaultModel));
      case "anthropic" -> new AnthropicAdapter(properties(simulator.anthropicBaseUrl(), defaultModel));
      default -> new GeminiAdapter(properties(simulator.geminiBaseUrl(), defaultModel));
    };
    adapters.add((AutoCloseable) adapter);
    return adapter;
  }

  private static ProviderProperties properties(String baseUrl, String defaultModel) {
    return ProviderProperties.of(new Secret("sk-resilience-it"), baseUrl, defaultModel)
        .withIdleTimeout(Duration.ofSeconds(3));
  }

  private JobRunner runner(List<ProviderAdapter> adapters) {
    ProviderCalls calls = new ProviderCalls(new ProviderRegistry(adapters), circuits, RESILIENCE, Clock.systemUTC());
    return new JobRunner(calls, published, new PriceTable(new PricingProperties(Map.of())), new ErrorReporting(),
        new JobMetrics(new SimpleMeterRegistry()), new WorkerIdentity("worker-resilience-it"),
        WorkerPropertiesFixtures.defaults(),
        Clock.systemUTC());
  }
}
