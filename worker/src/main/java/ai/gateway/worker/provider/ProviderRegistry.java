package ai.gateway.worker.provider;

import ai.gateway.worker.config.WorkerProperties;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The configured providers: every {@link ProviderAdapter} bean. An adapter bean exists only when its
 * provider is configured (its API key is set), so this registry is exactly what the worker can serve, in
 * the configured fallback order ({@code worker.fallback-order}; providers missing there come after, by
 * name). A new provider is found here without any change to this class.
 */
@Component
public final class ProviderRegistry {

  private final List<ProviderAdapter> ordered;
  private final Map<ProviderId, ProviderAdapter> byId = new LinkedHashMap<>();

  @Autowired
  public ProviderRegistry(List<ProviderAdapter> adapters, WorkerProperties worker) {
    this(adapters, worker.fallbackOrder());
  }

  /** In the design's order, OpenAI → Anthropic → Gemini. */
  public ProviderRegistry(List<ProviderAdapter> adapters) {
    this(adapters, WorkerProperties.DEFAULT_FALLBACK_ORDER);
  }

  public ProviderRegistry(List<ProviderAdapter> adapters, List<String> fallbackOrder) {
    for (ProviderAdapter adapter : adapters) {
      if (byId.putIfAbsent(adapter.id(), adapter) != null) {
        throw new IllegalStateException("two adapters for provider " + adapter.id());
      }
    }
    Comparator<ProviderAdapter> rank = Comparator.comparingInt(adapter -> {
      int index = fallbackOrder.indexOf(adapter.id().wireName());
      return index < 0 ? Integer.MAX_VALUE : index;
    });
    this.ordered = adapters.stream()
        .sorted(rank.thenComparing(adapter -> adapter.id().wireName()))
        .toList();
  }

  /** Configured adapters in fallback order. */
  public List<ProviderAdapter> inFallbackOrder() {
    return ordered;
  }

  public Optional<ProviderAdapter> find(ProviderId id) {
    return Optional.ofNullable(byId.get(id));
  }
}
