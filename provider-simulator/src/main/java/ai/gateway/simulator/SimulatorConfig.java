package ai.gateway.simulator;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How fast the simulated provider answers. Scenarios ({@code sim-slow}, {@code sim-ms-N}, ...) override
 * parts of it per call.
 *
 * @param port TCP port, {@code 0} for a random free one
 * @param timeToFirstToken delay before the first content token (and, for a stream, the response headers)
 * @param tokensPerSecond pace of the following tokens
 * @param answerTokens length of a normal answer, in tokens (before {@code max_tokens} caps it)
 */
public record SimulatorConfig(int port, Duration timeToFirstToken, double tokensPerSecond, int answerTokens) {

  /** Port the standalone simulator listens on when neither {@code SIM_PORT} nor {@code --port=} is given. */
  public static final int STANDALONE_PORT = 8090;
  static final int MAX_TOKENS = 100_000;
  static final double MAX_TOKENS_PER_SECOND = 1_000_000;

  public SimulatorConfig {
    Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0..65535, was " + port);
    }
    if (timeToFirstToken.isNegative()) {
      throw new IllegalArgumentException("timeToFirstToken must not be negative, was " + timeToFirstToken);
    }
    if (!(tokensPerSecond > 0) || tokensPerSecond > MAX_TOKENS_PER_SECOND) {
      throw new IllegalArgumentException("tokensPerSecond must be in (0, 1000000], was " + tokensPerSecond);
    }
    if (answerTokens < 1 || answerTokens > MAX_TOKENS) {
      throw new IllegalArgumentException("answerTokens must be 1..100000, was " + answerTokens);
    }
  }

  /**
   * Random port, 20 ms to the first token, 200 tokens/s, 40-token answers: a call takes about 215 ms, quick
   * enough for test suites yet slow enough that streaming, ordering and cancellation are observable.
   */
  public static SimulatorConfig defaults() {
    return new SimulatorConfig(0, Duration.ofMillis(20), 200, 40);
  }

  public SimulatorConfig withPort(int port) {
    return new SimulatorConfig(port, timeToFirstToken, tokensPerSecond, answerTokens);
  }

  public SimulatorConfig withTimeToFirstToken(Duration timeToFirstToken) {
    return new SimulatorConfig(port, timeToFirstToken, tokensPerSecond, answerTokens);
  }

  public SimulatorConfig withTokensPerSecond(double tokensPerSecond) {
    return new SimulatorConfig(port, timeToFirstToken, tokensPerSecond, answerTokens);
  }

  public SimulatorConfig withAnswerTokens(int answerTokens) {
    return new SimulatorConfig(port, timeToFirstToken, tokensPerSecond, answerTokens);
  }

  /** Time between two tokens at {@link #tokensPerSecond()}; at least one nanosecond. */
  Duration tokenInterval() {
    return Duration.ofNanos(Math.max(1, Math.round(1_000_000_000d / tokensPerSecond)));
  }

  /**
   * The standalone configuration: {@code --port=N} wins over {@code SIM_PORT}, default {@link #STANDALONE_PORT};
   * {@code SIM_TTFT_MS}, {@code SIM_TOKENS_PER_SECOND} and {@code SIM_ANSWER_TOKENS} override the defaults.
   */
  static SimulatorConfig fromEnvironment(Map<String, String> env, String... args) {
    SimulatorConfig defaults = defaults();
    int port = intSetting(env, "SIM_PORT", STANDALONE_PORT);
    for (String arg : args) {
      if (arg.startsWith("--port=")) {
        port = parseInt("--port", arg.substring("--port=".length()));
      } else {
        throw new IllegalArgumentException("unknown argument " + arg + " (supported: --port=N)");
      }
    }
    Duration ttft = Duration.ofMillis(intSetting(env, "SIM_TTFT_MS", (int) defaults.timeToFirstToken().toMillis()));
    double rate = env.containsKey("SIM_TOKENS_PER_SECOND")
        ? parseDouble("SIM_TOKENS_PER_SECOND", env.get("SIM_TOKENS_PER_SECOND"))
        : defaults.tokensPerSecond();
    int answerTokens = intSetting(env, "SIM_ANSWER_TOKENS", defaults.answerTokens());
    return new SimulatorConfig(port, ttft, rate, answerTokens);
  }

  private static int intSetting(Map<String, String> env, String name, int fallback) {
    String value = env.get(name);
    return value == null || value.isBlank() ? fallback : parseInt(name, value);
  }

  private static int parseInt(String name, String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, was '" + value + "'", e);
    }
  }

  private static double parseDouble(String name, String value) {
    try {
      return Double.parseDouble(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a number, was '" + value + "'", e);
    }
  }
}
