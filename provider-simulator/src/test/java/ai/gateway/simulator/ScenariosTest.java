package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Fail;
import ai.gateway.simulator.Scenario.Failure;
import ai.gateway.simulator.Scenario.Generate;
import ai.gateway.simulator.Scenario.Silent;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ScenariosTest {

  private final SimulatorConfig config = SimulatorConfig.defaults();
  private final Ledger ledger = new Ledger(Clock.systemUTC());
  private final Scenarios scenarios = new Scenarios(config, ledger);

  @ParameterizedTest
  @ValueSource(strings = {"gpt-4o-mini", "gpt-4.1-nano", "my-org/llama3.1:8b", "sim-echo"})
  void shouldAnswerNormallyForOrdinaryModelNames(String model) {
    Scenario scenario = scenarios.resolve(model, null);

    assertThat(scenario).isEqualTo(new Generate("normal", 40,
        new Scenario.Pacing(Duration.ofMillis(20), Duration.ofMillis(5)), Ending.STOP, true));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "sim-error-429, RATE_LIMITED", "sim-error-500, SERVER_ERROR", "sim-error-503, OVERLOADED",
      "sim-error-401, INVALID_API_KEY", "sim-error-400, INVALID_REQUEST",
      "sim-error-context, CONTEXT_LENGTH_EXCEEDED", "sim-error-quota, INSUFFICIENT_QUOTA"})
  void shouldFailWithTheNamedError(String model, Failure failure) {
    assertThat(scenarios.resolve(model, null)).isEqualTo(new Fail(model, failure));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sim-nope", "sim-ms-0", "sim-ms-600001", "sim-tokens-0", "sim-tokens-100001",
      "sim-tokens-", "sim-tokens-1x", "sim-fail-then-ok-0", "sim-error-418", "sim-"})
  void shouldTreatUnknownSimNamesAsUnknownModels(String model) {
    assertThat(scenarios.resolve(model, null)).isEqualTo(new Fail("unknown-model", Failure.MODEL_NOT_FOUND));
  }

  @Test
  void shouldEndEachSpecialScenarioAsNamed() {
    assertThat(generate("sim-stall")).extracting(Generate::tokens, Generate::ending).containsExactly(1, Ending.STALL);
    assertThat(generate("sim-midstream-error")).extracting(Generate::tokens, Generate::ending)
        .containsExactly(3, Ending.MIDSTREAM_ERROR);
    assertThat(generate("sim-truncated").ending()).isEqualTo(Ending.TRUNCATE);
    assertThat(generate("sim-content-filter").ending()).isEqualTo(Ending.CONTENT_FILTER);
    assertThat(generate("sim-length").ending()).isEqualTo(Ending.LENGTH);
    assertThat(generate("sim-no-usage").reportsUsage()).isFalse();
    assertThat(scenarios.resolve("sim-silent", null)).isInstanceOf(Silent.class);
  }

  @Test
  void shouldPaceSimSlowAtTenTokensPerSecond() {
    assertThat(generate("sim-slow").pacing().betweenTokens()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void shouldSpreadSimMsOverTheGivenMilliseconds() {
    Generate plan = generate("sim-ms-20000");

    assertThat(plan.tokens()).isEqualTo(40);
    assertThat(plan.pacing().betweenTokens()).isEqualTo(Duration.ofMillis(500));
    assertThat(plan.duration()).isEqualTo(Duration.ofMillis(20_000));
  }

  @Test
  void shouldAnswerSimTokensWithThatManyTokens() {
    assertThat(generate("sim-tokens-7").tokens()).isEqualTo(7);
    assertThat(generate("sim-tokens-100000").tokens()).isEqualTo(100_000);
  }

  @Test
  void shouldFailTheFirstNCallsPerClientRequestIdThenSucceed() {
    assertThat(scenarios.resolve("sim-fail-then-ok-2", "job-1")).isInstanceOf(Fail.class);
    assertThat(scenarios.resolve("sim-fail-then-ok-2", "job-1")).isInstanceOf(Fail.class);
    assertThat(scenarios.resolve("sim-fail-then-ok-2", "job-2")).as("another job counts on its own")
        .isInstanceOf(Fail.class);
    assertThat(scenarios.resolve("sim-fail-then-ok-2", "job-1")).isInstanceOf(Generate.class);
    assertThat(scenarios.resolve("sim-fail-then-ok-2", "job-1")).isInstanceOf(Generate.class);

    ledger.clear();

    assertThat(scenarios.resolve("sim-fail-then-ok-2", "job-1")).as("clearing the ledger resets the count")
        .isInstanceOf(Fail.class);
  }

  @Test
  void shouldCutAnAnswerAtMaxTokensAndFinishWithLength() {
    Generate capped = generate("gpt-4o-mini").cappedAt(5);

    assertThat(capped.tokens()).isEqualTo(5);
    assertThat(capped.ending()).isEqualTo(Ending.LENGTH);
    assertThat(generate("gpt-4o-mini").cappedAt(40).ending()).as("exactly at the limit").isEqualTo(Ending.STOP);
    assertThat(generate("gpt-4o-mini").cappedAt(null).tokens()).isEqualTo(40);
    assertThat(generate("sim-midstream-error").cappedAt(2).ending()).isEqualTo(Ending.MIDSTREAM_ERROR);
  }

  private Generate generate(String model) {
    return (Generate) scenarios.resolve(model, null);
  }
}
