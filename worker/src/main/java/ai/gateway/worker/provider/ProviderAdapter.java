package ai.gateway.worker.provider;

import java.util.List;
import reactor.core.publisher.Flux;

/**
 * One provider, always streaming: a non-streaming answer is this stream folded by the caller.
 *
 * <p>The stream is cold (nothing happens until subscribed) and ends in one of two ways: it completes after
 * exactly one {@link Finished}, or it fails with a {@link ProviderException}. A stream that stops without a
 * finish reason is an error, never a clean end. Cancelling the subscription closes the HTTP stream.
 *
 * <p>An adapter is a Spring bean that exists only when its provider is configured; the
 * {@link ProviderRegistry} finds every such bean, so adding a provider touches no code outside its package.
 */
public interface ProviderAdapter {

  ProviderId id();

  /** The model used when a job names none. */
  String defaultModel();

  /** Used when a job carries no positive {@code maxTokens}. */
  default int defaultMaxTokens() {
    return 1024;
  }

  /** Used when a job carries no valid {@code temperature}. */
  default double defaultTemperature() {
    return 0.7;
  }

  /** The models this worker serves on this provider, announced on {@code ai.providers}; empty: any. */
  default List<String> allowedModels() {
    return List.of();
  }

  /**
   * Whether a call for this model may be made at all: the allowlist, and whatever the provider's API needs
   * of the name (Gemini puts it in the URL path). Checked before any HTTP call, so a refused model costs
   * nothing and fails as the caller's fault.
   */
  default boolean accepts(String model) {
    return allowedModels().isEmpty() || allowedModels().contains(model);
  }

  Flux<ProviderEvent> stream(ProviderRequest request);
}
