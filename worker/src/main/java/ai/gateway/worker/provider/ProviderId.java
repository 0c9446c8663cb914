package ai.gateway.worker.provider;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A provider's name on the wire and in the API ({@code openai}, {@code anthropic}, {@code gemini}). A value
 * rather than an enum: a fourth provider is a new adapter package and configuration, not an edit here; the
 * fallback order is configuration too ({@code worker.fallback-order}).
 */
public record ProviderId(String wireName) {

  /**
   * Also the configuration key under {@code worker.providers}, so it must be a plain lower-case name.
   * Declared before the constants, which use it.
   */
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  public static final ProviderId OPENAI = new ProviderId("openai");
  public static final ProviderId ANTHROPIC = new ProviderId("anthropic");
  public static final ProviderId GEMINI = new ProviderId("gemini");

  public ProviderId {
    Objects.requireNonNull(wireName, "wireName");
    if (!NAME.matcher(wireName).matches()) {
      throw new IllegalArgumentException("a provider name is [a-z][a-z0-9-]{0,31}");
    }
  }

  /** The name a job asked for, normalized; empty when it cannot be any provider's name. */
  public static Optional<ProviderId> fromWireName(String name) {
    String normalized = name.strip().toLowerCase(Locale.ROOT);
    return NAME.matcher(normalized).matches() ? Optional.of(new ProviderId(normalized)) : Optional.empty();
  }

  @Override
  public String toString() {
    return wireName;
  }
}
