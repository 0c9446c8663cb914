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
    assertThat(pricing.models()).containsOnlyKeys("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1-nano");
    assertThat(pricing.models().get("gpt-4.1-mini").inputPerMillion()).isEqualByComparingTo(new BigDecimal("0.40"));
    assertThat(pricing.models().get("gpt-4.1-mini").outputPerMillion()).isEqualByComparingTo(new BigDecimal("1.60"));
    assertThat(pricing.models().get("gpt-4o").outputPerMillion()).isEqualByComparingTo(new BigDecimal("10.00"));
    assertThat(new PriceTable(pricing).cost("gpt-4o-mini", "gpt-4o-mini-2024-07-18", 16, 300))
        .isEqualTo(new PriceTable.Cost(182, true));
  }
}
