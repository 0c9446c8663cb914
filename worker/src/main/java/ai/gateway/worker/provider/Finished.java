package ai.gateway.worker.provider;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The answer ended normally; always the last event of a successful stream.
 *
 * @param finishReason the provider's own word ({@code stop}, {@code length}, ...)
 * @param model the model the provider reports having used, if it said
 * @param refusal the model's refusal text when it declined in a dedicated field (OpenAI's
 *     {@code delta.refusal}) rather than in the answer
 */
public record Finished(String finishReason, @Nullable String model, @Nullable String refusal) implements ProviderEvent {

  public Finished {
    Objects.requireNonNull(finishReason, "finishReason");
  }
}
