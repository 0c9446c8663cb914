package ai.gateway.api.money;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UsdTest {

  @Test
  void shouldShowExactDollarsWithoutTrailingZerosOrExponents() {
    assertThat(Usd.fromMicros(0).toPlainString()).isEqualTo("0");
    assertThat(Usd.fromMicros(25).toString()).isEqualTo("0.000025");
    assertThat(Usd.fromMicros(1_500_000).toString()).isEqualTo("1.5");
    // stripTrailingZeros alone gives 1E+1 here, which JSON writers print as such.
    assertThat(Usd.fromMicros(10_000_000).toString()).isEqualTo("10");
    assertThat(Usd.fromMicros(120_000_000).toString()).isEqualTo("120");
  }
}
