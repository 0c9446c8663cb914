package ai.gateway.worker.job;

import ai.gateway.worker.job.PricingProperties.ModelPrice;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Cost of a call in integer micro-USD. A price per million tokens times tokens is micro-USD exactly, so
 * the cost is {@code round(promptTokens × input + completionTokens × output)}, rounded half-up once.
 *
 * <p>The model is matched as the provider reported it, then with its date suffix stripped (OpenAI reports
 * {@code gpt-4o-mini-2024-07-18} for {@code gpt-4o-mini}, Anthropic {@code claude-haiku-4-5-20251001} for
 * {@code claude-haiku-4-5}), then as requested.
 */
@Component
final class PriceTable {

  private static final Pattern DATE_SUFFIX = Pattern.compile("-(\\d{4}-\\d{2}-\\d{2}|\\d{8})$");

  /** Cost of one call; {@code known=false} means the model has no price and {@code microUsd} is 0. */
  record Cost(long microUsd, boolean known) {
  }

  private final PricingProperties pricing;

  PriceTable(PricingProperties pricing) {
    this.pricing = pricing;
  }

  Cost cost(String requestedModel, @Nullable String reportedModel, long promptTokens, long completionTokens) {
    return price(requestedModel, reportedModel)
        .map(price -> new Cost(BigDecimal.valueOf(promptTokens).multiply(price.inputPerMillion())
            .add(BigDecimal.valueOf(completionTokens).multiply(price.outputPerMillion()))
            .setScale(0, RoundingMode.HALF_UP)
            .longValueExact(), true))
        .orElse(new Cost(0, false));
  }

  Optional<ModelPrice> price(String requestedModel, @Nullable String reportedModel) {
    return Stream.of(reportedModel, stripDate(reportedModel), requestedModel, stripDate(requestedModel))
        .filter(model -> model != null && !model.isBlank())
        .map(this::lookup)
        .flatMap(Optional::stream)
        .findFirst();
  }

  private Optional<ModelPrice> lookup(String model) {
    ModelPrice exact = pricing.models().get(model);
    return exact != null ? Optional.of(exact) : Optional.ofNullable(pricing.models().get(model.toLowerCase(Locale.ROOT)));
  }

  private static @Nullable String stripDate(@Nullable String model) {
    return model == null ? null : DATE_SUFFIX.matcher(model).replaceFirst("");
  }
}
