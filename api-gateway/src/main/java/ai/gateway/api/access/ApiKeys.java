package ai.gateway.api.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * API keys: {@code aig_} and 43 base64url characters, i.e. 256 bits from {@link SecureRandom}. Only their
 * SHA-256 is stored and looked up (see the migration for why a fast hash is right for random keys).
 */
final class ApiKeys {

  static final String PREFIX = "aig_";
  private static final int RANDOM_BYTES = 32;
  private static final int SHOWN_PREFIX = 8;
  private static final Pattern FORMAT = Pattern.compile("aig_[A-Za-z0-9_-]{43}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {
  }

  /** A new key, to be shown once. */
  static String generate() {
    byte[] bytes = new byte[RANDOM_BYTES];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Whether a bearer token is meant as an API key rather than a JWT. */
  static boolean looksLikeKey(String token) {
    return token.startsWith(PREFIX);
  }

  /** Well-formed keys only are hashed and looked up; anything else is refused without a query. */
  static boolean isWellFormed(String token) {
    return FORMAT.matcher(token).matches();
  }

  static byte[] hash(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  /** What a listing shows of a key: {@code aig_} and four characters. */
  static String shownPrefix(String key) {
    return key.substring(0, SHOWN_PREFIX);
  }
}
