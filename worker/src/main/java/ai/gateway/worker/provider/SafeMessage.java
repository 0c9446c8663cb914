package ai.gateway.worker.provider;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The message of a {@link ProviderException}: our own words for the failure class, where it happened, and
 * the provider's error identifiers (type, code, status) when they look like identifiers. Never the
 * provider's message: OpenAI's 401 message echoes part of the key, others quote URLs or the prompt.
 */
public final class SafeMessage {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9_.\\-]{1,64}");

  private final StringBuilder message;

  private SafeMessage(FailureClass failure, String where) {
    this.message = new StringBuilder(failure.description()).append(" (").append(where);
  }

  /** @param where {@code HTTP 429}, {@code in the stream}, ... */
  public static SafeMessage of(FailureClass failure, String where) {
    return new SafeMessage(failure, where);
  }

  /** Adds {@code name value} if the value is a plain identifier; anything else is left out. */
  public SafeMessage with(String name, @Nullable Object value) {
    if (value != null && IDENTIFIER.matcher(String.valueOf(value)).matches()) {
      message.append(", ").append(name).append(' ').append(value);
    }
    return this;
  }

  @Override
  public String toString() {
    return message + ")";
  }
}
