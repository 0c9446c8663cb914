package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.simulator.ProviderSimulator;
import ai.gateway.simulator.SimulatorConfig;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.provider.ProviderAdapter;
import ai.gateway.worker.provider.ProviderProperties;
import ai.gateway.worker.provider.ProviderRegistry;
import ai.gateway.worker.provider.Secret;
import ai.gateway.worker.provider.anthropic.AnthropicAdapter;
import ai.gateway.worker.provider.gemini.GeminiAdapter;
import ai.gateway.worker.resilience.ProviderCalls;
import ai.gateway.worker.resilience.ProviderCircuits;
import ai.gateway.worker.resilience.ResilienceProperties;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sentry.Sentry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sentry from the worker, as configured by {@code sentry.dsn}: the DSN points at a local HTTP server that
 * receives the envelopes. Jobs run through the real adapters against the provider simulator with canary
 * keys and a canary prompt, and no envelope may carry either, nor the provider's URL.
 */
class ErrorReportingIT {

  private static final String CANARY_KEY = "sk-ant-canary-" + UUID.randomUUID();
  private static final String CANARY_GEMINI_KEY = "AIza-canary-" + UUID.randomUUID();
  private static final String CANARY_PROMPT = "canary prompt " + UUID.randomUUID();

  private static final List<String> envelopes = new CopyOnWriteArrayList<>();
  private static HttpServer sentry;
  private static ProviderSimulator simulator;
  private static String dsn;

  private final RecordingPublisher published = new RecordingPublisher();
  private final JobRunner runner = runner();

  @BeforeAll
  static void start() throws IOException {
    sentry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    sentry.createContext("/", exchange -> {
      try (InputStream body = exchange.getRequestBody()) {
        byte[] bytes = body.readAllBytes();
        if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
          bytes = new GZIPInputStream(new ByteArrayInputStream(bytes)).readAllBytes();
        }
        envelopes.add(exchange.getRequestURI().getPath() + "\n" + new String(bytes, StandardCharsets.UTF_8));
      }
      exchange.sendResponseHeaders(200, 2);
      exchange.getResponseBody().write("{}".getBytes(StandardCharsets.UTF_8));
      exchange.close();
    });
    sentry.start();
    simulator = ProviderSimulator.start(SimulatorConfig.defaults());
    dsn = "http://public@127.0.0.1:" + sentry.getAddress().getPort() + "/1";
    initSentry(dsn);
  }

  @AfterAll
  static void stop() {
    Sentry.close();
    sentry.stop(0);
    simulator.close();
  }

  @Test
  void shouldReportAProviderFailureTaggedWithCodeAndProviderWithoutKeyPromptOrUrl() {
    // given: Anthropic rejects the (canary) key
    GenerationJob job = job("anthropic", "sim-error-401");

    // when
    runner.start(job).join();

    // then
    String envelope = awaitEnvelopeOf(job);
    assertThat(envelope).contains("/api/1/envelope/", "\"code\":\"PROVIDER_ERROR\"", "\"provider\":\"anthropic\"");
    assertNoSecrets(envelope);
  }

  @Test
  void shouldNotReportRateLimitsOrFilteredContent() {
    // given
    GenerationJob rateLimited = job("gemini", "sim-error-429");
    GenerationJob filtered = job("gemini", "sim-content-filter");
    GenerationJob failed = job("gemini", "sim-error-500");

    // when
    runner.start(rateLimited).join();
    runner.start(filtered).join();
    runner.start(failed).join();

    // then: events are sent in order, so once the last one's envelope is in, the others would be too
    assertThat(published.terminal(rateLimited.getJobId()).getError().getCode()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(published.terminal(filtered.getJobId()).getError().getCode()).isEqualTo(ErrorCode.CONTENT_FILTERED);
    assertNoSecrets(awaitEnvelopeOf(failed));
    assertThat(envelopes).noneMatch(envelope -> envelope.contains(rateLimited.getJobId())
        || envelope.contains(filtered.getJobId()));
  }

  @Test
  void shouldSendNothingWithoutADsn() {
    // given
    initSentry("");
    int before = envelopes.size();
    GenerationJob job = job("anthropic", "sim-error-500");

    // when
    try {
      runner.start(job).join();

      // then
      assertThat(Sentry.isEnabled()).isFalse();
      assertThat(published.terminal(job.getJobId()).getError().getCode()).isEqualTo(ErrorCode.PROVIDER_ERROR);
      await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> envelopes.size() == before);
    } finally {
      initSentry(dsn);
    }
  }

  /** As the worker's configuration does it: application.yml's sentry.dsn, no personal data. */
  private static void initSentry(String dsn) {
    Sentry.init(options -> {
      options.setDsn(dsn);
      options.setSendDefaultPii(false);
      options.setEnableUncaughtExceptionHandler(false);
    });
  }

  private static String awaitEnvelopeOf(GenerationJob job) {
    return await().atMost(Duration.ofSeconds(10)).until(() -> envelopes.stream()
        .filter(envelope -> envelope.contains(job.getJobId())).findFirst(), found -> found.isPresent()).orElseThrow();
  }

  private static void assertNoSecrets(String envelope) {
    for (String secret : List.of(CANARY_KEY, CANARY_GEMINI_KEY, CANARY_PROMPT)) {
      assertThat(envelope).doesNotContain(secret,
          Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)),
          URLEncoder.encode(secret, StandardCharsets.UTF_8));
    }
    assertThat(envelope).doesNotContain(simulator.baseUrl(), "127.0.0.1:" + simulator.port(), "/v1/messages",
        ":streamGenerateContent");
  }

  private GenerationJob job(String provider, String model) {
    return JobFixtures.streamJob().setProvider(provider).setModel(model).setPrompt(CANARY_PROMPT)
        .setSystemPrompt(CANARY_PROMPT).build();
  }

  private JobRunner runner() {
    List<ProviderAdapter> adapters = List.of(
        new AnthropicAdapter(ProviderProperties.of(new Secret(CANARY_KEY), simulator.anthropicBaseUrl(),
            "claude-sonnet-4-6")),
        new GeminiAdapter(ProviderProperties.of(new Secret(CANARY_GEMINI_KEY), simulator.geminiBaseUrl(),
            "gemini-3.5-flash")));
    // one call per job: retries are ResilienceIT's
    ResilienceProperties once = new ResilienceProperties(1, Duration.ofMillis(10), 2.0, 0.5, Duration.ofMillis(10),
        ResilienceProperties.defaults().circuit());
    ProviderCalls calls = new ProviderCalls(new ProviderRegistry(adapters), new ProviderCircuits(once, Clock.systemUTC()),
        once, Clock.systemUTC());
    return new JobRunner(calls, published, new PriceTable(new PricingProperties(Map.of())), new ErrorReporting(),
        new JobMetrics(new SimpleMeterRegistry()), new WorkerIdentity("worker-sentry-it"),
        WorkerPropertiesFixtures.defaults(),
        Clock.systemUTC());
  }
}
