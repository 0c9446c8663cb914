package ai.gateway.worker.provider;

import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * The configured providers. An adapter bean exists only when its provider is configured (its API key is
 * set), so this registry is exactly what the worker can serve, in the design's fallback order.
 */
@Component
public final class ProviderRegistry {

  private final Map<ProviderId, ProviderAdapter> adapters = new EnumMap<>(ProviderId.class);

  public ProviderRegistry(List<ProviderAdapter> adapters) {
    for (ProviderAdapter adapter : adapters) {
      if (this.adapters.putIfAbsent(adapter.id(), adapter) != null) {
        throw new IllegalStateException("two adapters for provider " + adapter.id());
      }
    }
  }

  /** Configured adapters, OpenAI → Anthropic → Gemini. */
  public List<ProviderAdapter> inFallbackOrder() {
    return adapters.values().stream().sorted(Comparator.comparing(ProviderAdapter::id)).toList();
  }

  public Optional<ProviderAdapter> find(ProviderId id) {
    return Optional.ofNullable(adapters.get(id));
  }

  /** The job's provider if it names one, else the first configured; empty when that is not configured. */
  public Optional<ProviderAdapter> select(Optional<ProviderId> requested) {
    return requested.isPresent() ? find(requested.get()) : inFallbackOrder().stream().findFirst();
  }
}
