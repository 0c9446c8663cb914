package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.worker.job.PricingProperties.ModelPrice;
import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PriceTableTest {

  private final PriceTable prices = new PriceTable(new PricingProperties(Map.of(
      "gpt-4o-mini", price("0.15", "0.60"),
      "gpt-4o", price("2.50", "10.00"),
      "gpt-4.1-nano", price("0.10", "0.40"))));

  @Test
  void shouldCostPerMillionPricesTimesTokensInMicroUsd() {
    // 16 × 0.15 + 300 × 0.60 = 2.4 + 180 = 182.4 micro-USD
    assertThat(prices.cost("gpt-4o-mini", null, 16, 300)).isEqualTo(new PriceTable.Cost(182, true));
    // 1,000,000 × 2.50 + 1,000,000 × 10.00 = 12.5 USD
    assertThat(prices.cost("gpt-4o", null, 1_000_000, 1_000_000)).isEqualTo(new PriceTable.Cost(12_500_000, true));
  }

  @Test
  void shouldRoundHalfUpOnce() {
    // 5 × 0.10 = 0.5 -> 1; rounding each term first would also give 1, but 3 × 0.10 + 3 × 0.40 = 1.5 -> 2
    assertThat(prices.cost("gpt-4.1-nano", null, 5, 0).microUsd()).isEqualTo(1);
    assertThat(prices.cost("gpt-4.1-nano", null, 3, 3).microUsd()).isEqualTo(2);
  }

  @Test
  void shouldMatchTheReportedModelWithItsDateSuffixStripped() {
    // the reported model decides: the job asked for gpt-4o-mini but the provider served gpt-4o
    assertThat(prices.cost("gpt-4o-mini", "gpt-4o-2024-08-06", 1_000_000, 0).microUsd()).isEqualTo(2_500_000);
    assertThat(prices.cost("custom-alias", "gpt-4o-mini-2024-07-18", 1_000_000, 0).microUsd()).isEqualTo(150_000);
  }

  @Test
  void shouldFallBackToTheRequestedModelWhenTheReportedOneHasNoPrice() {
    assertThat(prices.cost("gpt-4o-mini", "some-router-name", 1_000_000, 0)).isEqualTo(new PriceTable.Cost(150_000, true));
  }

  @Test
  void shouldCostZeroAndSayPriceUnknownForAnUnlistedModel() {
    assertThat(prices.cost("llama3.1:8b", "llama3.1:8b", 1000, 1000)).isEqualTo(new PriceTable.Cost(0, false));
  }

  private static ModelPrice price(String input, String output) {
    return new ModelPrice(new BigDecimal(input), new BigDecimal(output));
  }
}
