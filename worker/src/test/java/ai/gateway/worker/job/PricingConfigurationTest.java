package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;

class PricingConfigurationTest {

  @Test
  void shouldBindTheDefaultPriceTableIncludingModelNamesWithDots() throws IOException {
    // given
    StandardEnvironment environment = new StandardEnvironment();
    new YamlPropertySourceLoader().load("defaults", new ClassPathResource("application.yml"))
        .forEach(environment.getPropertySources()::addLast);

    // when
    PricingProperties pricing = Binder.get(environment).bind("worker.pricing", PricingProperties.class).get();

    // then
    assertThat(pricing.models()).containsOnlyKeys("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1-nano",
        "claude-sonnet-4-6", "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-3.5-flash", "gemini-3.1-flash-lite",
        "gemini-2.5-flash");
    assertThat(pricing.models().get("gpt-4.1-mini").inputPerMillion()).isEqualByComparingTo(new BigDecimal("0.40"));
    assertThat(pricing.models().get("gpt-4.1-mini").outputPerMillion()).isEqualByComparingTo(new BigDecimal("1.60"));
    assertThat(pricing.models().get("gpt-4o").outputPerMillion()).isEqualByComparingTo(new BigDecimal("10.00"));
    assertThat(new PriceTable(pricing).cost("gpt-4o-mini", "gpt-4o-mini-2024-07-18", 16, 300))
        .isEqualTo(new PriceTable.Cost(182, true));
    // Anthropic's dated id: 1000 x 1.00 + 200 x 5.00
    assertThat(new PriceTable(pricing).cost("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001", 1000, 200))
        .isEqualTo(new PriceTable.Cost(2000, true));
    // Gemini: thinking tokens are in the completion count: 9 x 1.50 + 208 x 9.00
    assertThat(new PriceTable(pricing).cost("gemini-3.5-flash", "gemini-3.5-flash", 9, 208))
        .isEqualTo(new PriceTable.Cost(1886, true));
  }

  @Test
  void shouldPriceEveryProvidersDefaultModel() throws IOException {
    // given
    StandardEnvironment environment = new StandardEnvironment();
    new YamlPropertySourceLoader().load("defaults", new ClassPathResource("application.yml"))
        .forEach(environment.getPropertySources()::addLast);
    PriceTable prices = new PriceTable(Binder.get(environment).bind("worker.pricing", PricingProperties.class).get());

    // when / then: a default model without a price would make every job's cost an unknown 0
    for (String provider : new String[] {"openai", "anthropic", "gemini"}) {
      String model = Binder.get(environment).bind("worker.providers." + provider + ".default-model", String.class).get();
      assertThat(prices.price(model, null)).as("price of %s", model).isPresent();
    }
  }
}
