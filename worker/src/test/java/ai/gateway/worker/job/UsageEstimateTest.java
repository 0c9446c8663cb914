package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UsageEstimateTest {

  @Test
  void shouldEstimateFourCharactersATokenRoundingUp() {
    assertThat(UsageEstimate.promptTokens("12345678", null)).isEqualTo(2);
    assertThat(UsageEstimate.promptTokens("123456789", null)).isEqualTo(3);
    assertThat(UsageEstimate.promptTokens("1234", "5678")).isEqualTo(2);
  }

  @Test
  void shouldNeverEstimateAPromptAtZeroTokens() {
    assertThat(UsageEstimate.promptTokens("", null)).isEqualTo(1);
  }

  @Test
  void shouldCountCodePointsNotUtf16Units() {
    // four emoji are eight UTF-16 units but four characters
    assertThat(UsageEstimate.completionTokens("😀😀😀😀")).isEqualTo(1);
    assertThat(UsageEstimate.completionTokens("известни")).isEqualTo(2);
  }

  @Test
  void shouldEstimateNoCompletionWhenNothingCame() {
    assertThat(UsageEstimate.completionTokens("")).isZero();
  }
}
