package ai.gateway.worker.provider;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a job asks of a provider, in the provider-neutral form every adapter translates.
 *
 * @param clientRequestId sent to the provider for correlation (the job id); never a secret
 */
public record ProviderRequest(String model, String prompt, @Nullable String systemPrompt, int maxTokens,
    double temperature, String clientRequestId) {

  public ProviderRequest {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(clientRequestId, "clientRequestId");
  }

  /** Without the prompt: a request may be logged, its text never. */
  @Override
  public String toString() {
    return "ProviderRequest[model=" + model + ", maxTokens=" + maxTokens + ", temperature=" + temperature
        + ", clientRequestId=" + clientRequestId + "]";
  }
}
