package ai.gateway.worker.provider;

import java.util.Objects;

/**
 * A credential. Prints {@code ****} so that a logged configuration record, exception message or debugger
 * view never shows it; only {@link #reveal()} gives the value, at the one place that builds the header.
 * Binds from a plain string property through its single-string constructor.
 */
public final class Secret {

  private final String value;

  public Secret(String value) {
    this.value = Objects.requireNonNull(value, "value");
  }

  public String reveal() {
    return value;
  }

  public boolean isBlank() {
    return value.isBlank();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Secret secret && secret.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return "****";
  }
}
