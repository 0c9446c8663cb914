package ai.gateway.worker.provider;

import java.util.Objects;

/** A piece of the answer, in order; never empty. */
public record TextDelta(String text) implements ProviderEvent {

  public TextDelta {
    Objects.requireNonNull(text, "text");
    if (text.isEmpty()) {
      throw new IllegalArgumentException("a text delta is never empty");
    }
  }
}
