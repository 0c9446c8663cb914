package ai.gateway.worker.job;

import java.math.BigDecimal;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code worker.pricing.models.<model>.{input-per-million, output-per-million}}: list prices in USD per
 * million tokens. A model missing here costs 0 and is marked {@code priceKnown=false}, never guessed.
 */
@ConfigurationProperties(prefix = "worker.pricing", ignoreUnknownFields = false)
public record PricingProperties(@DefaultValue Map<String, ModelPrice> models) {

  public PricingProperties {
    models = Map.copyOf(models);
  }

  public record ModelPrice(BigDecimal inputPerMillion, BigDecimal outputPerMillion) {

    public ModelPrice {
      if (inputPerMillion == null || outputPerMillion == null
          || inputPerMillion.signum() < 0 || outputPerMillion.signum() < 0) {
        throw new IllegalArgumentException("worker.pricing prices must be set and not negative");
      }
    }
  }
}
