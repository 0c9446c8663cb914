package ai.gateway.simulator;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A fake LLM provider over real HTTP. Embedded: {@code ProviderSimulator.start(SimulatorConfig.defaults())}
 * in a test, then point the provider base URLs at {@link #openAiBaseUrl()}, {@link #anthropicBaseUrl()} and
 * {@link #geminiBaseUrl()}. Standalone: {@link #main}.
 * Scenarios are chosen per call by reserved model names; see the module's README.md.
 */
public final class ProviderSimulator implements AutoCloseable {

  private static final String LOOPBACK = "127.0.0.1";

  private final DisposableServer server;
  private final LoopResources loops;
  private final ChannelGroup connections;
  private final Ledger ledger;

  private ProviderSimulator(DisposableServer server, LoopResources loops, ChannelGroup connections, Ledger ledger) {
    this.server = server;
    this.loops = loops;
    this.connections = connections;
    this.ledger = ledger;
  }

  /** Binds 127.0.0.1 on {@code config.port()} (0: a random free port) and returns once it listens. */
  public static ProviderSimulator start(SimulatorConfig config) {
    return start(config, LOOPBACK);
  }

  static ProviderSimulator start(SimulatorConfig config, String host) {
    Objects.requireNonNull(config, "config");
    Clock clock = Clock.systemUTC();
    Ledger ledger = new Ledger(clock);
    Scenarios scenarios = new Scenarios(config, ledger);
    Responder responder = new Responder(ledger);
    OpenAiHandler openAi = new OpenAiHandler(responder, scenarios, clock);
    AnthropicHandler anthropic = new AnthropicHandler(responder, scenarios, clock);
    GeminiHandler gemini = new GeminiHandler(responder, scenarios);
    LedgerEndpoint sim = new LedgerEndpoint(ledger);
    // Own event loops, so a simulator under benchmark load does not compete with the gateway's or worker's
    // loops in the same JVM, and close() leaves no threads behind.
    LoopResources loops = LoopResources.create("provider-simulator", 1,
        Math.max(2, Runtime.getRuntime().availableProcessors()), true);
    // Tracked so close() can cut stalled and silent calls instead of waiting for them.
    ChannelGroup connections = new DefaultChannelGroup("provider-simulator", GlobalEventExecutor.INSTANCE);
    try {
      DisposableServer server = HttpServer.create()
          .host(host)
          .port(config.port())
          .runOn(loops)
          .channelGroup(connections)
          .route(routes -> routes
              .post(OpenAiHandler.PATH, openAi::chatCompletions)
              .post(AnthropicHandler.PATH, anthropic::messages)
              .route(GeminiHandler::matches, gemini::generateContent)
              .get(LedgerEndpoint.LEDGER, sim::list)
              .delete(LedgerEndpoint.LEDGER, sim::clear)
              .get(LedgerEndpoint.HEALTH, sim::health))
          .bindNow();
      return new ProviderSimulator(server, loops, connections, ledger);
    } catch (RuntimeException e) {
      loops.disposeLater(Duration.ZERO, Duration.ofSeconds(2)).block();
      throw e;
    }
  }

  public int port() {
    return server.port();
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String baseUrl() {
    return "http://" + LOOPBACK + ":" + port();
  }

  /** What {@code OPENAI_BASE_URL} is set to: {@code baseUrl() + "/v1"}. */
  public String openAiBaseUrl() {
    return baseUrl() + "/v1";
  }

  /**
   * What {@code ANTHROPIC_BASE_URL} is set to: {@link #baseUrl()} itself, without {@code /v1}, as
   * {@code https://api.anthropic.com} is; clients post to {@code {base}/v1/messages}.
   */
  public String anthropicBaseUrl() {
    return baseUrl();
  }

  /**
   * What {@code GEMINI_BASE_URL} is set to: {@code baseUrl() + "/v1beta"}, as
   * {@code https://generativelanguage.googleapis.com/v1beta} is; clients post to
   * {@code {base}/models/{model}:generateContent} and {@code {base}/models/{model}:streamGenerateContent?alt=sse}.
   */
  public String geminiBaseUrl() {
    return baseUrl() + "/v1beta";
  }

  public Ledger ledger() {
    return ledger;
  }

  /** Stops listening and closes every open connection; calls still running are recorded as aborted. */
  @Override
  public void close() {
    connections.close().awaitUninterruptibly(2_000);
    server.disposeNow(Duration.ofSeconds(2));
    loops.disposeLater(Duration.ZERO, Duration.ofSeconds(2)).block();
  }

  /**
   * Standalone run: port from {@code --port=N} or {@code SIM_PORT} (default 8090), speed from
   * {@code SIM_TTFT_MS}, {@code SIM_TOKENS_PER_SECOND}, {@code SIM_ANSWER_TOKENS}, bind address from
   * {@code SIM_HOST} (default 0.0.0.0, so a container can publish it). Stops on SIGTERM or Ctrl-C.
   */
  public static void main(String[] args) {
    // Set before the first logger exists. A non-default file name, so a JVM that embeds the simulator never
    // picks up this configuration by accident.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "provider-simulator-logback.xml");
    }
    Logger log = Loggers.getLogger(ProviderSimulator.class);
    SimulatorConfig config = SimulatorConfig.fromEnvironment(System.getenv(), args);
    String host = System.getenv().getOrDefault("SIM_HOST", "0.0.0.0");
    ProviderSimulator simulator = start(config, host);
    Runtime.getRuntime().addShutdownHook(new Thread(simulator::close, "provider-simulator-shutdown"));
    log.info("TTFT {} ms, {} tokens/s, {} answer tokens", config.timeToFirstToken().toMillis(),
        config.tokensPerSecond(), config.answerTokens());
    System.out.println("provider-simulator listening on " + simulator.port());
    simulator.server.onDispose().block();
  }
}
