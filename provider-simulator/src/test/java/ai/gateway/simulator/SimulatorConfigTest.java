package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulatorConfigTest {

  @Test
  void shouldDefaultToARandomPortAndAQuickAnswer() {
    assertThat(SimulatorConfig.defaults())
        .isEqualTo(new SimulatorConfig(0, Duration.ofMillis(20), 200, 40));
    assertThat(SimulatorConfig.defaults().tokenInterval()).isEqualTo(Duration.ofMillis(5));
  }

  @Test
  void shouldChangeOneSettingPerWither() {
    SimulatorConfig config = SimulatorConfig.defaults().withPort(1234).withTimeToFirstToken(Duration.ofMillis(1))
        .withTokensPerSecond(1000).withAnswerTokens(3);

    assertThat(config).isEqualTo(new SimulatorConfig(1234, Duration.ofMillis(1), 1000, 3));
  }

  @Test
  void shouldRejectImpossibleSettings() {
    SimulatorConfig defaults = SimulatorConfig.defaults();
    assertThatIllegalArgumentException().isThrownBy(() -> defaults.withPort(70_000));
    assertThatIllegalArgumentException().isThrownBy(() -> defaults.withTimeToFirstToken(Duration.ofMillis(-1)));
    assertThatIllegalArgumentException().isThrownBy(() -> defaults.withTokensPerSecond(0));
    assertThatIllegalArgumentException().isThrownBy(() -> defaults.withTokensPerSecond(Double.NaN));
    assertThatIllegalArgumentException().isThrownBy(() -> defaults.withAnswerTokens(0));
  }

  @Test
  void shouldReadTheStandaloneSettingsFromTheEnvironment() {
    SimulatorConfig config = SimulatorConfig.fromEnvironment(Map.of("SIM_PORT", "9999", "SIM_TTFT_MS", "5",
        "SIM_TOKENS_PER_SECOND", "50.5", "SIM_ANSWER_TOKENS", "12"));

    assertThat(config).isEqualTo(new SimulatorConfig(9999, Duration.ofMillis(5), 50.5, 12));
  }

  @Test
  void shouldListenOn8090StandaloneUnlessThePortArgumentSaysOtherwise() {
    assertThat(SimulatorConfig.fromEnvironment(Map.of()).port()).isEqualTo(8090);
    assertThat(SimulatorConfig.fromEnvironment(Map.of("SIM_PORT", "9999"), "--port=0").port()).isZero();
  }

  @Test
  void shouldRejectMalformedStandaloneSettings() {
    assertThatIllegalArgumentException().isThrownBy(() -> SimulatorConfig.fromEnvironment(Map.of("SIM_PORT", "x")))
        .withMessageContaining("SIM_PORT");
    assertThatIllegalArgumentException().isThrownBy(() -> SimulatorConfig.fromEnvironment(Map.of(), "--verbose"))
        .withMessageContaining("--verbose");
  }
}
