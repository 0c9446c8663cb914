package ai.gateway.api.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A credential from configuration (the JWT secret, the admin token). {@code toString()} prints {@code ****},
 * so a secret in a record that is logged, or in a failure message of the binder, never shows.
 */
public record Secret(String value) {

  public Secret {
    if (value.isEmpty()) {
      throw new IllegalArgumentException("a secret must not be empty");
    }
  }

  public byte[] bytes() {
    return value.getBytes(StandardCharsets.UTF_8);
  }

  /** Compares in time independent of where the values differ (both sides are hashed first, so neither is the length). */
  public boolean matches(String candidate) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] expected = sha.digest(bytes());
      byte[] actual = sha.digest(candidate.getBytes(StandardCharsets.UTF_8));
      return MessageDigest.isEqual(expected, actual);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  @Override
  public String toString() {
    return "****";
  }
}
