package ai.gateway.usage.config;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/** Checks run by the properties records' constructors, so a bad value fails the start with its key. */
final class Validation {

  private Validation() {
  }

  static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  static void notBlank(String key, @Nullable String value) {
    check(value != null && !value.isBlank(), key + " must not be blank");
  }

  static void positive(String key, @Nullable Duration value) {
    check(value != null && !value.isNegative() && !value.isZero(), key + " must be a positive duration: " + value);
  }
}
