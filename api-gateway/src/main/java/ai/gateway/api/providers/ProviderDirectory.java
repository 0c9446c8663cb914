package ai.gateway.api.providers;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.ProviderInfo;
import org.jspecify.annotations.Nullable;

/**
 * The capabilities the live workers published, folded into one answer. A worker's entry goes away with
 * its tombstone (a graceful stop) or when {@code updatedAt + ttlMs} has passed (a crash), so the answer
 * never lists a provider only a dead worker could serve.
 */
final class ProviderDirectory {

  /** The design's fallback order; providers a later issue adds come after these, by name. */
  private static final List<String> FALLBACK_ORDER = List.of("openai", "anthropic", "gemini");

  private final Map<String, ProviderCapabilities> byWorker = new ConcurrentHashMap<>();

  void apply(String workerId, @Nullable ProviderCapabilities capabilities) {
    if (capabilities == null) {
      byWorker.remove(workerId);
    } else {
      byWorker.merge(workerId, capabilities,
          (old, fresh) -> fresh.getUpdatedAt().isBefore(old.getUpdatedAt()) ? old : fresh);
    }
  }

  /**
   * Providers at least one live worker can serve with its circuit closed, in fallback order; the default
   * model is the one the most recently heard-from worker announced.
   */
  List<ProviderView> available(Instant now) {
    Map<String, ProviderView> byName = new LinkedHashMap<>();
    Map<String, Instant> heardAt = new LinkedHashMap<>();
    for (ProviderCapabilities worker : byWorker.values()) {
      if (worker.getUpdatedAt().plusMillis(worker.getTtlMs()).isBefore(now)) {
        continue;
      }
      for (ProviderInfo provider : worker.getProviders()) {
        if (provider.getCircuitOpen()) {
          continue;
        }
        Instant previous = heardAt.get(provider.getName());
        if (previous == null || worker.getUpdatedAt().isAfter(previous)) {
          heardAt.put(provider.getName(), worker.getUpdatedAt());
          byName.put(provider.getName(), new ProviderView(provider.getName(), provider.getDefaultModel()));
        }
      }
    }
    List<ProviderView> ordered = new ArrayList<>(byName.values());
    ordered.sort(Comparator.comparingInt((ProviderView view) -> rank(view.name())).thenComparing(ProviderView::name));
    return ordered;
  }

  private static int rank(String name) {
    int index = FALLBACK_ORDER.indexOf(name);
    return index < 0 ? FALLBACK_ORDER.size() : index;
  }

  /** One entry of the answer: {@code {"name","defaultModel"}}. */
  record ProviderView(String name, String defaultModel) {
  }
}
