package ai.gateway.worker.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.Finished;
import ai.gateway.worker.provider.FixtureServer;
import ai.gateway.worker.provider.FixtureServer.Playback;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderFixture;
import ai.gateway.worker.provider.ProviderFixture.ExpectedError;
import ai.gateway.worker.provider.ProviderRequest;
import ai.gateway.worker.provider.Secret;
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
import ai.gateway.simulator.LedgerEntry;
import ai.gateway.simulator.ProviderSimulator;
import ai.gateway.simulator.SimulatorConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.jspecify.annotations.Nullable;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The adapter against recorded OpenAI responses served over real HTTP: every {@code openai-*} fixture of
 * the shared suite, its body delivered in the pieces the fixture prescribes.
 */
class OpenAiAdapterContractIT {

  private static final Duration PAUSE_BETWEEN_PIECES = Duration.ofMillis(40);
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static FixtureServer server;
  private static ProviderSimulator simulator;
  private final List<Integer> reads = new CopyOnWriteArrayList<>();
  private OpenAiAdapter adapter;

  @BeforeAll
  static void startServers() {
    server = new FixtureServer();
    simulator = ProviderSimulator.start(SimulatorConfig.defaults());
  }

  @AfterAll
  static void stopServers() {
    server.close();
    simulator.close();
  }

  @BeforeEach
  void createAdapter() {
    adapter = adapter(Duration.ofSeconds(5));
  }

  static List<ProviderFixture> fixtures() {
    List<ProviderFixture> fixtures = ProviderFixture.all("openai-");
    // visible in the report as a skipped test, not a silently empty parameter list
    Assumptions.assumeFalse(fixtures.isEmpty(), "shared provider fixtures not found (../shared/fixtures/providers)");
    return fixtures;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void shouldProduceTheFixturesExpectedOutcome(ProviderFixture fixture) {
    // given
    server.willAnswer(new Playback(fixture.status(), fixture.headers(), fixture.bodyPieces(), PAUSE_BETWEEN_PIECES,
        false));
    List<ProviderEvent> events = new ArrayList<>();

    // when / then
    var verifier = StepVerifier.create(adapter.stream(request("job-" + fixture.name())))
        .recordWith(() -> events)
        .thenConsumeWhile(event -> true);
    if (fixture.expectsSuccess()) {
      verifier.verifyComplete();
      assertSuccess(fixture, events);
    } else {
      verifier.expectErrorSatisfies(error -> assertFailure(fixture, error, events)).verify(Duration.ofSeconds(10));
    }
    assertSeparateReads(fixture);
  }

  /**
   * The same contract against the simulator's scenarios, checked against what the simulator says it sent.
   * {@code errorCode}: the design code, or a failure class name where the class matters.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(nullValues = "null", value = {
      "gpt-4o-mini,         stop,   true,  null",
      "sim-no-usage,        stop,   false, null",
      "sim-length,          length, true,  null",
      "sim-tokens-3,        stop,   true,  null",
      "sim-midstream-error, null,   false, PROVIDER_ERROR",
      "sim-truncated,       null,   false, PROVIDER_ERROR",
      "sim-content-filter,  null,   null,  CONTENT_FILTERED",
      "sim-error-429,       null,   false, RATE_LIMITED",
      "sim-error-500,       null,   false, TRANSIENT",
      "sim-error-503,       null,   false, OVERLOADED",
      "sim-error-401,       null,   false, CREDENTIAL",
      "sim-error-400,       null,   false, INVALID_REQUEST",
      "sim-error-context,   null,   false, CONTEXT_LENGTH_EXCEEDED",
      "sim-error-quota,     null,   false, INSUFFICIENT_QUOTA",
  })
  void shouldMatchWhatTheSimulatorSent(String model, @Nullable String finish, @Nullable Boolean usage,
      @Nullable String errorCode) {
    // given
    OpenAiAdapter simulated = new OpenAiAdapter(properties(simulator.openAiBaseUrl(), Duration.ofSeconds(5)),
        Clock.systemUTC(), n -> { });
    String jobId = "job-" + java.util.UUID.randomUUID();
    List<ProviderEvent> events = new ArrayList<>();

    // when
    var verifier = StepVerifier.create(simulated.stream(new ProviderRequest(model, "Tell me a story", "Be brief.",
            100, 0.7, jobId)))
        .recordWith(() -> events)
        .thenConsumeWhile(event -> true);
    if (errorCode == null) {
      verifier.verifyComplete();
    } else {
      verifier.expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ProviderException.class,
          failure -> assertThat(errorCode).isIn(failure.failureClass().name(), failure.failureClass().code().name())))
          .verify(Duration.ofSeconds(10));
    }

    // then
    await().atMost(Duration.ofSeconds(2)).until(() -> simulator.ledger().byClientRequestId(jobId).stream()
        .allMatch(LedgerEntry::ended));
    LedgerEntry call = simulator.ledger().byClientRequestId(jobId).get(0);
    assertThat(call.authorized()).isTrue();
    assertThat(text(events)).isEqualTo(call.content());
    List<UsageReport> reported = events.stream().filter(UsageReport.class::isInstance).map(UsageReport.class::cast)
        .toList();
    if (Boolean.TRUE.equals(usage)) {
      assertThat(call.usageReported()).isTrue();
      assertThat(reported).containsExactly(new UsageReport(call.promptTokens(), call.completionTokens(),
          call.promptTokens() + call.completionTokens()));
    } else if (Boolean.FALSE.equals(usage)) {
      assertThat(reported).isEmpty();
    }
    if (finish != null) {
      assertThat(events).last().isInstanceOfSatisfying(Finished.class, finished -> {
        assertThat(finished.finishReason()).isEqualTo(finish);
        assertThat(finished.model()).startsWith(model);
      });
      assertThat(call.aborted()).as("a complete answer is read to its end, not hung up on").isFalse();
    }
    simulated.close();
  }

  @Test
  void shouldSendAStreamingChatRequestWithTheKeyInTheHeaderOnly() {
    // given
    ProviderFixture basic = ProviderFixture.all("openai-stream-basic").stream().findFirst()
        .orElseGet(() -> Assumptions.abort("shared provider fixtures not found"));
    server.willAnswer(new Playback(200, basic.headers(), basic.bodyPieces(), Duration.ZERO, false));

    // when
    StepVerifier.create(adapter.stream(new ProviderRequest("gpt-4o-mini", "Say hi", "Be brief.", 50, 0.3, "job-42")))
        .thenConsumeWhile(event -> true)
        .verifyComplete();

    // then
    FixtureServer.Received request = server.received().get(server.received().size() - 1);
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
    assertThat(request.headers()).containsEntry("Authorization", "Bearer sk-contract-test")
        .containsEntry("X-Client-Request-Id", "job-42");
    JsonNode body = JSON.readTree(request.body());
    assertThat(body.get("model").asString()).isEqualTo("gpt-4o-mini");
    assertThat(body.get("stream").asBoolean()).isTrue();
    assertThat(body.at("/stream_options/include_usage").asBoolean()).isTrue();
    assertThat(body.get("max_tokens").asInt()).isEqualTo(50);
    assertThat(body.get("temperature").asDouble()).isEqualTo(0.3);
    assertThat(body.at("/messages/0/role").asString()).isEqualTo("system");
    assertThat(body.at("/messages/0/content").asString()).isEqualTo("Be brief.");
    assertThat(body.at("/messages/1/role").asString()).isEqualTo("user");
    assertThat(body.at("/messages/1/content").asString()).isEqualTo("Say hi");
    assertThat(request.path() + request.body()).doesNotContain("sk-contract-test");
  }

  @Test
  void shouldTimeOutAndHangUpWhenTheProviderGoesSilentMidStream() {
    // given: the truncated stream's body, then the connection stays open without a byte
    ProviderFixture truncated = ProviderFixture.all("openai-stream-truncated").stream().findFirst()
        .orElseGet(() -> Assumptions.abort("shared provider fixtures not found"));
    server.willAnswer(new Playback(200, truncated.headers(), truncated.bodyPieces(), Duration.ZERO, true));
    OpenAiAdapter impatient = adapter(Duration.ofMillis(500));
    List<ProviderEvent> events = new ArrayList<>();

    // when / then
    StepVerifier.create(impatient.stream(request("job-stall")))
        .recordWith(() -> events)
        .thenConsumeWhile(event -> true)
        .expectErrorSatisfies(error -> {
          assertThat(error).isInstanceOfSatisfying(ProviderException.class,
              failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.TIMEOUT));
          assertThat(text(events)).isEqualTo("Hello");
        })
        .verify(Duration.ofSeconds(5));
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(server.clientClosed()).isTrue());
    impatient.close();
  }

  @Test
  void shouldHangUpWhenTheSubscriberCancels() {
    // given
    ProviderFixture truncated = ProviderFixture.all("openai-stream-truncated").stream().findFirst()
        .orElseGet(() -> Assumptions.abort("shared provider fixtures not found"));
    server.willAnswer(new Playback(200, truncated.headers(), truncated.bodyPieces(), Duration.ZERO, true));

    // when
    StepVerifier.create(adapter.stream(request("job-cancel")))
        .expectNextMatches(event -> event instanceof TextDelta delta && delta.text().equals("Hello"))
        .thenCancel()
        .verify(Duration.ofSeconds(5));

    // then
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(server.clientClosed()).isTrue());
  }

  @Test
  void shouldClassifyAnUnreachableProviderAsTransient() {
    // given: nothing listens on a freshly closed port
    FixtureServer closed = new FixtureServer();
    String url = closed.baseUrl();
    closed.close();
    OpenAiAdapter unreachable = new OpenAiAdapter(properties(url, Duration.ofSeconds(2)), Clock.systemUTC(), n -> { });

    // when / then
    StepVerifier.create(unreachable.stream(request("job-unreachable")))
        .expectErrorSatisfies(error -> {
          assertThat(error).isInstanceOfSatisfying(ProviderException.class, failure -> {
            assertThat(failure.failureClass()).isEqualTo(FailureClass.TRANSIENT);
            assertThat(failure.getMessage()).doesNotContain("127.0.0.1", url);
          });
        })
        .verify(Duration.ofSeconds(5));
    unreachable.close();
  }

  private void assertSuccess(ProviderFixture fixture, List<ProviderEvent> events) {
    assertThat(events).as("a successful stream ends with Finished").last().isInstanceOf(Finished.class);
    Finished finished = (Finished) events.get(events.size() - 1);
    assertThat(events.stream().filter(Finished.class::isInstance)).hasSize(1);
    if (fixture.expectedText() != null) {
      assertThat(text(events)).isEqualTo(fixture.expectedText());
    }
    assertThat(finished.finishReason()).isEqualTo(fixture.expectedFinish());
    assertThat(finished.refusal()).isEqualTo(fixture.expectedRefusal());
    assertUsage(fixture, events);
  }

  private void assertFailure(ProviderFixture fixture, Throwable error, List<ProviderEvent> events) {
    ExpectedError expected = fixture.expectedError();
    assertThat(error).isInstanceOf(ProviderException.class);
    ProviderException failure = (ProviderException) error;
    switch (expected.code()) {
      case "AUTHENTICATION_FAILED" -> assertThat(failure.failureClass()).isEqualTo(FailureClass.CREDENTIAL);
      case "PROVIDER_OVERLOADED" -> assertThat(failure.failureClass()).isEqualTo(FailureClass.OVERLOADED);
      default -> assertThat(failure.failureClass().code()).isEqualTo(ErrorCode.valueOf(expected.code()));
    }
    assertThat(failure.failureClass().retryable()).as("retryable").isEqualTo(expected.retryable());
    if (expected.retryAfterMs() != null) {
      assertThat(failure.retryAfter()).isEqualTo(Duration.ofMillis(expected.retryAfterMs()));
    }
    assertThat(failure.getMessage()).doesNotContain("http://", "https://", "sk-");
    assertThat(text(events)).isEqualTo(Optional.ofNullable(fixture.expectedPartialText()).orElse(""));
    assertThat(events).noneMatch(Finished.class::isInstance);
    assertUsage(fixture, events);
  }

  private static void assertUsage(ProviderFixture fixture, List<ProviderEvent> events) {
    List<UsageReport> usage = events.stream().filter(UsageReport.class::isInstance).map(UsageReport.class::cast).toList();
    Optional<long[]> expected = fixture.expectedUsage();
    if (expected.isPresent()) {
      assertThat(usage).containsExactly(new UsageReport(expected.get()[0], expected.get()[1], expected.get()[2]));
    } else {
      assertThat(usage).as("no usage: the adapter must say unknown, not 0").isEmpty();
    }
  }

  /** Every cut of the fixture is a boundary between two reads the adapter saw. */
  private void assertSeparateReads(ProviderFixture fixture) {
    if (fixture.status() != 200 || fixture.splitOffsets().isEmpty()) {
      return;
    }
    Collection<Integer> boundaries = new TreeSet<>();
    int position = 0;
    for (int read : reads) {
      position += read;
      boundaries.add(position);
    }
    assertThat(position).isEqualTo(fixture.body().length);
    assertThat(boundaries).containsAll(fixture.splitOffsets());
  }

  private static String text(List<ProviderEvent> events) {
    StringBuilder text = new StringBuilder();
    events.stream().filter(TextDelta.class::isInstance).map(TextDelta.class::cast).forEach(d -> text.append(d.text()));
    return text.toString();
  }

  private OpenAiAdapter adapter(Duration idleTimeout) {
    reads.clear();
    return new OpenAiAdapter(properties(server.baseUrl(), idleTimeout), Clock.systemUTC(), reads::add);
  }

  static OpenAiProperties properties(String baseUrl, Duration idleTimeout) {
    return new OpenAiProperties(new Secret("sk-contract-test"), baseUrl, "gpt-4o-mini", idleTimeout,
        Duration.ofSeconds(2), 16, 64, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(1), 65536,
        new OpenAiProperties.LocalFallback(null, null));
  }

  static ProviderRequest request(String jobId) {
    return new ProviderRequest("gpt-4o-mini", "Say hello", null, 100, 0.7, jobId);
  }

}
