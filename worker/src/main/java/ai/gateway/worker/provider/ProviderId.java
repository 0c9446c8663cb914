package ai.gateway.worker.provider;

import java.util.Locale;
import java.util.Optional;

/** The providers the design names, in the fallback order used when a job asks for none. */
public enum ProviderId {
  OPENAI("openai"), ANTHROPIC("anthropic"), GEMINI("gemini");

  private final String wireName;

  ProviderId(String wireName) {
    this.wireName = wireName;
  }

  /** The name on the wire and in the API: {@code openai}, {@code anthropic}, {@code gemini}. */
  public String wireName() {
    return wireName;
  }

  public static Optional<ProviderId> fromWireName(String name) {
    String normalized = name.strip().toLowerCase(Locale.ROOT);
    for (ProviderId id : values()) {
      if (id.wireName.equals(normalized)) {
        return Optional.of(id);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return wireName;
  }
}
