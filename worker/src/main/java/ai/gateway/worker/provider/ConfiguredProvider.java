package ai.gateway.worker.provider;

import java.util.List;
import java.util.Objects;

/**
 * An adapter whose defaults come from its {@code worker.providers.<name>} configuration, as every real
 * provider's do: a new provider implements only {@link #id()} and {@link #stream}.
 */
public abstract class ConfiguredProvider implements ProviderAdapter {

  protected final ProviderProperties properties;

  protected ConfiguredProvider(ProviderProperties properties) {
    this.properties = Objects.requireNonNull(properties, "properties");
  }

  @Override
  public String defaultModel() {
    return properties.defaultModel();
  }

  @Override
  public int defaultMaxTokens() {
    return properties.defaultMaxTokens();
  }

  @Override
  public double defaultTemperature() {
    return properties.defaultTemperature();
  }

  @Override
  public List<String> allowedModels() {
    return properties.allowedModels();
  }
}
