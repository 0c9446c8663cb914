package ai.gateway.worker.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.simulator.LedgerEntry;
import ai.gateway.simulator.ProviderSimulator;
import ai.gateway.simulator.SimulatorConfig;
import ai.gateway.worker.provider.FixtureServer.Playback;
import ai.gateway.worker.provider.ProviderFixture.ExpectedError;
import ai.gateway.worker.provider.ProviderFixture.ExpectedUsage;
import ai.gateway.worker.provider.anthropic.AnthropicAdapter;
import ai.gateway.worker.provider.gemini.GeminiAdapter;
import ai.gateway.worker.provider.openai.OpenAiAdapter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The contract every provider adapter keeps, run against all three over real HTTP.
 *
 * <p>First, every file of the shared fixture suite (../shared/fixtures/providers, 52 raw responses): its
 * status, headers and exact body bytes are served to the real adapter of its provider, the body cut at the
 * fixture's {@code chunk-split-at} offsets (some inside multi-byte characters), each piece flushed on its
 * own after a pause; the adapter must have seen the pieces as separate reads, and must produce the
 * fixture's outcome: text, finish reason, usage, or error class + retryability + retry delay, with the text
 * that came before an error.
 *
 * <p>Where a fixture and the provider's documentation disagree, the adapters follow the documentation and
 * the fixture's case stays covered:
 * <ul>
 *   <li>{@code gemini-error-quota-429-legacy}: Google now answers depleted prepaid credits with 402 (covered
 *       by {@code gemini-error-quota-402}); the legacy 429 without {@code RetryInfo} is still classified as
 *       quota, from its fixed message, so a 429 is a rate limit only when it is one.</li>
 *   <li>{@code gemini-error-context-length}: the troubleshooting table lists "input context is too long"
 *       under 500 INTERNAL; captures show 400 INVALID_ARGUMENT. The 400 is context length; a 500 cannot be
 *       told apart from other server errors and stays PROVIDER_ERROR.</li>
 *   <li>{@code anthropic-error-credit-balance}: the newer errors page has 402 {@code billing_error} (covered
 *       by {@code anthropic-error-billing-402}) and also says spend limits return 400, as live captures do:
 *       both are quota.</li>
 *   <li>{@code anthropic-stream-no-final-blank-line}: WHATWG drops an event not ended by a blank line; the
 *       SDKs dispatch it, and so does the shared reader (the stream must succeed).</li>
 *   <li>{@code openai-stream-truncated}: the design lists only 5xx/overloaded as retryable PROVIDER_ERROR;
 *       the fixture expects a truncated stream to be retryable, and it is (worker README, "Failure
 *       classes").</li>
 * </ul>
 *
 * <p>Then the same adapters against the provider simulator's scenarios, checked against its ledger, and the
 * transport behaviour no file can express: the request on the wire, silence, cancellation, no server.
 */
class ProviderAdapterContractIT {

  private static final Duration PAUSE_BETWEEN_PIECES = Duration.ofMillis(40);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int FIXTURE_COUNT = 52;

  private static FixtureServer server;
  private static ProviderSimulator simulator;
  private final List<Integer> reads = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> adapters = new ArrayList<>();

  /** The three adapters, built the way their configuration builds them. */
  enum Provider {
    OPENAI("openai", "gpt-4o-mini", "/v1", "stop", "length"),
    ANTHROPIC("anthropic", "claude-sonnet-4-6", "", "end_turn", "max_tokens"),
    GEMINI("gemini", "gemini-3.5-flash", "/v1beta", "STOP", "MAX_TOKENS");

    final String wireName;
    final String model;
    /** What the real API's base URL has after the host, so the adapter appends the same path to ours. */
    final String basePath;
    final String stop;
    final String length;

    Provider(String wireName, String model, String basePath, String stop, String length) {
      this.wireName = wireName;
      this.model = model;
      this.basePath = basePath;
      this.stop = stop;
      this.length = length;
    }

    static Provider of(String wireName) {
      return Stream.of(values()).filter(provider -> provider.wireName.equals(wireName)).findFirst().orElseThrow();
    }

    ProviderAdapter adapter(String baseUrl, Duration idleTimeout, IntConsumer onRead) {
      ProviderProperties properties = ProviderProperties.of(new Secret("sk-contract-test-" + wireName), baseUrl, model)
          .withIdleTimeout(idleTimeout);
      return switch (this) {
        case OPENAI -> new OpenAiAdapter(properties, onRead);
        case ANTHROPIC -> new AnthropicAdapter(properties, onRead);
        case GEMINI -> new GeminiAdapter(properties, onRead);
      };
    }

    String simulatorUrl(ProviderSimulator simulator) {
      return switch (this) {
        case OPENAI -> simulator.openAiBaseUrl();
        case ANTHROPIC -> simulator.anthropicBaseUrl();
        case GEMINI -> simulator.geminiBaseUrl();
      };
    }

    /** The path of a streaming call, as the real API wants it. */
    String streamPath(String model) {
      return switch (this) {
        case OPENAI -> "/v1/chat/completions";
        case ANTHROPIC -> "/v1/messages";
        case GEMINI -> "/v1beta/models/" + model + ":streamGenerateContent?alt=sse";
      };
    }
  }

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

  @AfterEach
  void closeAdapters() throws Exception {
    for (AutoCloseable adapter : adapters) {
      adapter.close();
    }
  }

  static List<ProviderFixture> fixtures() {
    List<ProviderFixture> fixtures = ProviderFixture.all();
    // visible in the report as a skipped test, not a silently empty parameter list
    Assumptions.assumeFalse(fixtures.isEmpty(), "shared provider fixtures not found (../shared/fixtures/providers)");
    return fixtures;
  }

  @Test
  void shouldRunEveryFixtureOfTheSharedSuite() {
    assertThat(fixtures()).hasSize(FIXTURE_COUNT)
        .extracting(ProviderFixture::provider).containsOnly("openai", "anthropic", "gemini");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void shouldProduceTheFixturesExpectedOutcome(ProviderFixture fixture) {
    // given
    Provider provider = Provider.of(fixture.provider());
    ProviderAdapter adapter = adapter(provider, server.rootUrl() + provider.basePath, Duration.ofSeconds(5));
    server.willAnswer(new Playback(fixture.status(), fixture.headers(), fixture.bodyPieces(), PAUSE_BETWEEN_PIECES,
        false));
    int before = server.received().size();
    List<ProviderEvent> events = new ArrayList<>();

    // when / then
    var verifier = StepVerifier.create(adapter.stream(request(provider.model, "job-" + fixture.name())))
        .recordWith(() -> events)
        .thenConsumeWhile(event -> true);
    if (fixture.expectsSuccess()) {
      verifier.expectComplete().verify(Duration.ofSeconds(10));
      assertSuccess(fixture, events);
    } else {
      verifier.expectErrorSatisfies(error -> assertFailure(fixture, error, events)).verify(Duration.ofSeconds(10));
    }
    assertSeparateReads(fixture);
    assertThat(server.received()).hasSize(before + 1);
    assertThat(server.received().get(before).path()).isEqualTo(provider.streamPath(provider.model));
  }

  static Stream<Arguments> scenarios() {
    // scenario, expected outcome: a finish ("stop"/"length" in each provider's words) or an error code /
    // failure class; whether the final usage must be reported
    List<Arguments> scenarios = List.of(
        Arguments.of("normal", "stop", true),
        Arguments.of("sim-tokens-3", "stop", true),
        Arguments.of("sim-length", "length", true),
        Arguments.of("sim-no-usage", "stop", false),
        Arguments.of("sim-midstream-error", "PROVIDER_ERROR", false),
        Arguments.of("sim-truncated", "PROVIDER_ERROR", false),
        Arguments.of("sim-content-filter", "CONTENT_FILTERED", null),
        Arguments.of("sim-error-429", "RATE_LIMITED", false),
        Arguments.of("sim-error-500", "TRANSIENT", false),
        Arguments.of("sim-error-503", "OVERLOADED", false),
        Arguments.of("sim-error-401", "CREDENTIAL", false),
        Arguments.of("sim-error-400", "INVALID_REQUEST", false),
        Arguments.of("sim-error-context", "CONTEXT_LENGTH_EXCEEDED", false),
        Arguments.of("sim-error-quota", "INSUFFICIENT_QUOTA", false),
        Arguments.of("sim-no-such-scenario", "INVALID_REQUEST", false));
    return Stream.of(Provider.values())
        .flatMap(provider -> scenarios.stream().map(scenario -> Arguments.of(provider, scenario.get()[0],
            scenario.get()[1], scenario.get()[2])));
  }

  /** The same contract against the simulator's scenarios, checked against what the simulator says it sent. */
  @ParameterizedTest(name = "{0} {1} -> {2}")
  @MethodSource("scenarios")
  void shouldMatchWhatTheSimulatorSent(Provider provider, String scenario, String expected,
      @Nullable Boolean usageReported) {
    // given
    ProviderAdapter adapter = adapter(provider, provider.simulatorUrl(simulator), Duration.ofSeconds(5));
    String model = scenario.equals("normal") ? provider.model : scenario;
    String jobId = "job-" + UUID.randomUUID();
    List<ProviderEvent> events = new ArrayList<>();
    boolean success = expected.equals("stop") || expected.equals("length");

    // when
    var verifier = StepVerifier.create(adapter.stream(new ProviderRequest(model, "Tell me a story", "Be brief.", 100,
            0.7, jobId)))
        .recordWith(() -> events)
        .thenConsumeWhile(event -> true);
    if (success) {
      verifier.expectComplete().verify(Duration.ofSeconds(10));
    } else {
      verifier.expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ProviderException.class,
          failure -> {
            assertThat(expected).isIn(failure.failureClass().name(), failure.failureClass().code().name());
            if (scenario.equals("sim-error-429")) {
              assertThat(failure.retryAfter()).as("the provider's retry delay").isEqualTo(Duration.ofSeconds(1));
            }
            assertThat(failure.getMessage()).doesNotContain("127.0.0.1", "sk-contract-test");
          }))
          .verify(Duration.ofSeconds(10));
    }

    // then
    LedgerEntry call = await().atMost(Duration.ofSeconds(5)).until(() -> simulator.ledger().byClientRequestId(jobId),
        calls -> calls.size() == 1 && calls.get(0).ended()).get(0);
    assertThat(call.provider()).isEqualTo(provider.wireName);
    assertThat(call.authorized()).as("the key arrived in the provider's header").isTrue();
    assertThat(text(events)).isEqualTo(call.content());
    List<UsageReport> complete = events.stream().filter(UsageReport.class::isInstance).map(UsageReport.class::cast)
        .filter(report -> !report.partial())
        .toList();
    if (Boolean.TRUE.equals(usageReported)) {
      assertThat(call.usageReported()).isTrue();
      assertThat(complete).last().isEqualTo(new UsageReport(call.promptTokens(), call.completionTokens(),
          call.promptTokens() + call.completionTokens()));
    } else if (Boolean.FALSE.equals(usageReported)) {
      assertThat(complete).as("no final usage came: the caller must estimate, not see an exact 0").isEmpty();
    }
    if (success) {
      assertThat(events).last().isInstanceOfSatisfying(Finished.class, finished -> {
        assertThat(finished.finishReason()).isEqualTo(expected.equals("stop") ? provider.stop : provider.length);
        assertThat(finished.model()).startsWith(model);
      });
      assertThat(call.aborted()).as("a complete answer is read to its end, not hung up on").isFalse();
    }
  }

  @Test
  void shouldSendOpenAiAStreamingChatRequestWithTheKeyInTheHeaderOnly() {
    // when
    FixtureServer.Received request = sendBasicRequest(Provider.OPENAI, 0.3);

    // then
    assertThat(request.headers()).containsEntry("Authorization", "Bearer sk-contract-test-openai")
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
  }

  @Test
  void shouldSendAnthropicAMessagesRequestWithVersionAndTopLevelSystem() {
    // when: 1.5 is valid for OpenAI; a job falling back to Anthropic must not turn it into a 400
    FixtureServer.Received request = sendBasicRequest(Provider.ANTHROPIC, 1.5);

    // then
    assertThat(request.headers()).containsEntry("x-api-key", "sk-contract-test-anthropic")
        .containsEntry("anthropic-version", "2023-06-01")
        .containsEntry("X-Client-Request-Id", "job-42")
        .doesNotContainKey("Authorization");
    JsonNode body = JSON.readTree(request.body());
    assertThat(body.get("model").asString()).isEqualTo("claude-sonnet-4-6");
    assertThat(body.get("stream").asBoolean()).isTrue();
    assertThat(body.get("max_tokens").asInt()).isEqualTo(50);
    assertThat(body.get("temperature").asDouble()).isEqualTo(1.0);
    assertThat(body.get("system").asString()).isEqualTo("Be brief.");
    assertThat(body.get("messages")).hasSize(1);
    assertThat(body.at("/messages/0/role").asString()).isEqualTo("user");
    assertThat(body.at("/messages/0/content").asString()).isEqualTo("Say hi");
  }

  @Test
  void shouldSendGeminiTheKeyInItsHeaderAndNeverInTheUrl() {
    // when
    FixtureServer.Received request = sendBasicRequest(Provider.GEMINI, 0.3);

    // then
    assertThat(request.path()).isEqualTo("/v1beta/models/gemini-3.5-flash:streamGenerateContent?alt=sse")
        .doesNotContain("key=");
    assertThat(request.headers()).containsEntry("x-goog-api-key", "sk-contract-test-gemini")
        .containsEntry("X-Client-Request-Id", "job-42");
    JsonNode body = JSON.readTree(request.body());
    assertThat(body.at("/contents/0/role").asString()).isEqualTo("user");
    assertThat(body.at("/contents/0/parts/0/text").asString()).isEqualTo("Say hi");
    assertThat(body.at("/systemInstruction/parts/0/text").asString()).isEqualTo("Be brief.");
    assertThat(body.at("/generationConfig/maxOutputTokens").asInt()).isEqualTo(50);
    assertThat(body.at("/generationConfig/temperature").asDouble()).isEqualTo(0.3);
  }

  static List<String> badGeminiModels() {
    return List.of("../models/x", "gemini-2.5-flash?key=x", "a/b", "", "gemini%2F..", "gemini 2", "x".repeat(129));
  }

  @ParameterizedTest
  @MethodSource("badGeminiModels")
  void shouldRefuseAGeminiModelThatIsNoPlainPathSegmentWithoutACall(String model) {
    // given
    ProviderAdapter adapter = adapter(Provider.GEMINI, server.rootUrl() + "/v1beta", Duration.ofSeconds(5));
    int before = server.received().size();

    // when / then
    assertThat(adapter.accepts(model)).isFalse();
    StepVerifier.create(adapter.stream(request(model.isEmpty() ? " " : model, "job-bad-model")))
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ProviderException.class,
            failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.CALLER_FAULT)))
        .verify(Duration.ofSeconds(5));
    assertThat(server.received()).hasSize(before);
  }

  @ParameterizedTest
  @EnumSource(Provider.class)
  void shouldTimeOutAndHangUpWhenTheProviderGoesSilentMidStream(Provider provider) {
    // given: the first token, then nothing
    ProviderAdapter impatient = adapter(provider, provider.simulatorUrl(simulator), Duration.ofMillis(500));
    String jobId = "job-stall-" + UUID.randomUUID();
    List<ProviderEvent> events = new ArrayList<>();

    // when / then
    StepVerifier.create(impatient.stream(request("sim-stall", jobId)))
        .recordWith(() -> events)
        .thenConsumeWhile(event -> true)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ProviderException.class,
            failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.TIMEOUT)))
        .verify(Duration.ofSeconds(5));
    assertThat(text(events)).isNotEmpty();
    await().atMost(Duration.ofSeconds(2)).until(() -> simulator.ledger().byClientRequestId(jobId).get(0).aborted());
  }

  @ParameterizedTest
  @EnumSource(Provider.class)
  void shouldTimeOutWhenTheProviderNeverAnswers(Provider provider) {
    // given
    ProviderAdapter impatient = adapter(provider, provider.simulatorUrl(simulator), Duration.ofMillis(500));

    // when / then
    StepVerifier.create(impatient.stream(request("sim-silent", "job-silent-" + UUID.randomUUID())))
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ProviderException.class,
            failure -> assertThat(failure.failureClass()).isEqualTo(FailureClass.TIMEOUT)))
        .verify(Duration.ofSeconds(5));
  }

  @ParameterizedTest
  @EnumSource(Provider.class)
  void shouldHangUpWhenTheSubscriberCancels(Provider provider) {
    // given
    ProviderAdapter adapter = adapter(provider, provider.simulatorUrl(simulator), Duration.ofSeconds(5));
    String jobId = "job-cancel-" + UUID.randomUUID();

    // when
    StepVerifier.create(adapter.stream(request("sim-stall", jobId)))
        .thenConsumeWhile(event -> !(event instanceof TextDelta))
        .thenCancel()
        .verify(Duration.ofSeconds(5));

    // then
    await().atMost(Duration.ofSeconds(2)).until(() -> simulator.ledger().byClientRequestId(jobId).get(0).aborted());
  }

  @ParameterizedTest
  @EnumSource(Provider.class)
  void shouldClassifyAnUnreachableProviderAsTransient(Provider provider) {
    // given: nothing listens on a freshly closed port
    FixtureServer closed = new FixtureServer();
    String url = closed.rootUrl() + provider.basePath;
    closed.close();
    ProviderAdapter unreachable = adapter(provider, url, Duration.ofSeconds(2));

    // when / then
    StepVerifier.create(unreachable.stream(request(provider.model, "job-unreachable")))
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOfSatisfying(ProviderException.class, failure -> {
          assertThat(failure.failureClass()).isEqualTo(FailureClass.TRANSIENT);
          assertThat(failure.getMessage()).doesNotContain("127.0.0.1", url);
        }))
        .verify(Duration.ofSeconds(5));
  }

  private FixtureServer.Received sendBasicRequest(Provider provider, double temperature) {
    ProviderFixture basic = ProviderFixture.all(provider.wireName + "-stream-basic").stream().findFirst()
        .orElseGet(() -> Assumptions.abort("shared provider fixtures not found"));
    server.willAnswer(new Playback(200, basic.headers(), basic.bodyPieces(), Duration.ZERO, false));
    ProviderAdapter adapter = adapter(provider, server.rootUrl() + provider.basePath, Duration.ofSeconds(5));
    StepVerifier.create(adapter.stream(new ProviderRequest(provider.model, "Say hi", "Be brief.", 50, temperature,
            "job-42")))
        .thenConsumeWhile(event -> true)
        .expectComplete()
        .verify(Duration.ofSeconds(5));
    FixtureServer.Received request = server.received().get(server.received().size() - 1);
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.path()).isEqualTo(provider.streamPath(provider.model));
    assertThat(request.path() + request.body()).doesNotContain("sk-contract-test");
    return request;
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

  /** The last report counts (providers report cumulative totals); none at all when the provider gave none. */
  private static void assertUsage(ProviderFixture fixture, List<ProviderEvent> events) {
    List<UsageReport> usage = events.stream().filter(UsageReport.class::isInstance).map(UsageReport.class::cast)
        .toList();
    Optional<ExpectedUsage> expected = fixture.expectedUsage();
    if (expected.isEmpty()) {
      assertThat(usage).as("no usage: the adapter must say unknown, not 0").isEmpty();
      return;
    }
    ExpectedUsage want = expected.get();
    UsageReport report = want.partial()
        ? UsageReport.promptOnly(want.input())
        : new UsageReport(want.input(), want.output() + want.thoughts(), want.total());
    assertThat(usage).as("usage reports").isNotEmpty().last().isEqualTo(report);
  }

  /** Every cut of the fixture is a boundary between two reads the adapter saw. */
  private void assertSeparateReads(ProviderFixture fixture) {
    if (fixture.status() != 200 || fixture.splitOffsets().isEmpty()) {
      return;
    }
    TreeSet<Integer> boundaries = new TreeSet<>();
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

  private ProviderAdapter adapter(Provider provider, String baseUrl, Duration idleTimeout) {
    reads.clear();
    ProviderAdapter adapter = provider.adapter(baseUrl, idleTimeout, reads::add);
    adapters.add((AutoCloseable) adapter);
    return adapter;
  }

  private static ProviderRequest request(String model, String jobId) {
    return new ProviderRequest(model, "Say hello", null, 100, 0.7, jobId);
  }
}
