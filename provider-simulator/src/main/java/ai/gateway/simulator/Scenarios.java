package ai.gateway.simulator;

import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Fail;
import ai.gateway.simulator.Scenario.Failure;
import ai.gateway.simulator.Scenario.Generate;
import ai.gateway.simulator.Scenario.Pacing;
import ai.gateway.simulator.Scenario.Silent;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reserved model names to scenarios (the table in README.md). Any model not starting with {@code sim-}, and
 * {@code sim-echo}, gets a normal answer; an unknown {@code sim-} name is the provider's "model not found".
 */
final class Scenarios {

  static final String NORMAL = "normal";
  static final String UNKNOWN_MODEL = "unknown-model";
  static final int SLOW_TOKENS_PER_SECOND = 10;
  static final int MAX_MILLIS = 600_000;
  static final int MAX_FAILURES = 1_000;
  static final int MIDSTREAM_ERROR_TOKENS = 3;
  static final int TRUNCATED_TOKENS = 5;
  static final int CONTENT_FILTER_TOKENS = 5;

  private static final Pattern PARAMETERIZED = Pattern.compile("(sim-ms|sim-tokens|sim-fail-then-ok)-([0-9]{1,7})");

  private static final Map<String, Failure> ERRORS = Map.of(
      "sim-error-429", Failure.RATE_LIMITED,
      "sim-error-500", Failure.SERVER_ERROR,
      "sim-error-503", Failure.OVERLOADED,
      "sim-error-401", Failure.INVALID_API_KEY,
      "sim-error-400", Failure.INVALID_REQUEST,
      "sim-error-context", Failure.CONTEXT_LENGTH_EXCEEDED,
      "sim-error-quota", Failure.INSUFFICIENT_QUOTA);

  private final SimulatorConfig config;
  private final Ledger ledger;

  Scenarios(SimulatorConfig config, Ledger ledger) {
    this.config = config;
    this.ledger = ledger;
  }

  /**
   * The scenario of one call. {@code sim-fail-then-ok-N} counts calls per {@code X-Client-Request-Id} (calls
   * without the header share one counter), so this must be called exactly once per call.
   */
  Scenario resolve(String model, @Nullable String clientRequestId) {
    if (!model.startsWith("sim-") || model.equals("sim-echo")) {
      return normal(NORMAL, config.answerTokens());
    }
    Failure failure = ERRORS.get(model);
    if (failure != null) {
      return new Fail(model, failure);
    }
    return switch (model) {
      case "sim-slow" -> new Generate(model, config.answerTokens(),
          new Pacing(config.timeToFirstToken(), Duration.ofMillis(1000 / SLOW_TOKENS_PER_SECOND)), Ending.STOP, true);
      case "sim-stall" -> withEnding(model, 1, Ending.STALL);
      case "sim-silent" -> new Silent(model);
      case "sim-midstream-error" -> withEnding(model, MIDSTREAM_ERROR_TOKENS, Ending.MIDSTREAM_ERROR);
      case "sim-truncated" -> withEnding(model, TRUNCATED_TOKENS, Ending.TRUNCATE);
      case "sim-content-filter" -> withEnding(model, CONTENT_FILTER_TOKENS, Ending.CONTENT_FILTER);
      case "sim-length" -> withEnding(model, config.answerTokens(), Ending.LENGTH);
      case "sim-no-usage" -> new Generate(model, config.answerTokens(), normalPacing(), Ending.STOP, false);
      default -> parameterized(model, clientRequestId);
    };
  }

  private Scenario parameterized(String model, @Nullable String clientRequestId) {
    Matcher matcher = PARAMETERIZED.matcher(model);
    if (!matcher.matches()) {
      return new Fail(UNKNOWN_MODEL, Failure.MODEL_NOT_FOUND);
    }
    int n = Integer.parseInt(matcher.group(2));
    return switch (matcher.group(1)) {
      case "sim-ms" -> n < 1 || n > MAX_MILLIS ? unknown() : spreadOver(model, n);
      case "sim-tokens" -> n < 1 || n > SimulatorConfig.MAX_TOKENS ? unknown() : normal(model, n);
      default -> n < 1 || n > MAX_FAILURES ? unknown() : failThenOk(model, n, clientRequestId);
    };
  }

  /** The whole answer spread evenly over {@code millis}: the last token goes out at {@code millis}. */
  private Generate spreadOver(String model, int millis) {
    Duration gap = Duration.ofNanos(Math.max(1, Duration.ofMillis(millis).toNanos() / config.answerTokens()));
    return new Generate(model, config.answerTokens(), new Pacing(gap, gap), Ending.STOP, true);
  }

  private Scenario failThenOk(String model, int failures, @Nullable String clientRequestId) {
    String key = model + '\n' + (clientRequestId == null ? "" : clientRequestId);
    return ledger.nextAttempt(key) <= failures ? new Fail(model, Failure.SERVER_ERROR) : normal(model, config.answerTokens());
  }

  private Generate normal(String name, int tokens) {
    return new Generate(name, tokens, normalPacing(), Ending.STOP, true);
  }

  private Generate withEnding(String name, int tokens, Ending ending) {
    return new Generate(name, tokens, normalPacing(), ending, true);
  }

  private Pacing normalPacing() {
    return new Pacing(config.timeToFirstToken(), config.tokenInterval());
  }

  private static Fail unknown() {
    return new Fail(UNKNOWN_MODEL, Failure.MODEL_NOT_FOUND);
  }
}
