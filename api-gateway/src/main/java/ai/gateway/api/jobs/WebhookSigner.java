package ai.gateway.api.jobs;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import ai.gateway.api.config.Secret;

/**
 * Standard Webhooks signatures: {@code webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">},
 * keyed with the bytes of a {@code whsec_<base64>} secret.
 */
public final class WebhookSigner {

  static final String PREFIX = "whsec_";
  /** The spec asks for 24 to 64 bytes of key. */
  static final int MIN_KEY_BYTES = 24;

  private final SecretKeySpec key;

  WebhookSigner(Secret secret) {
    this.key = new SecretKeySpec(keyBytes(secret), "HmacSHA256");
  }

  /** The key bytes of a {@code whsec_} secret; fails with a message that never contains the secret. */
  public static byte[] keyBytes(Secret secret) {
    String value = secret.value();
    if (!value.startsWith(PREFIX)) {
      throw new IllegalArgumentException("a webhook signing secret starts with " + PREFIX);
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(value.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a webhook signing secret is " + PREFIX + " followed by base64");
    }
    if (bytes.length < MIN_KEY_BYTES || bytes.length > 64) {
      throw new IllegalArgumentException("a webhook signing secret has 24 to 64 bytes of key");
    }
    return bytes;
  }

  /** The {@code webhook-signature} header value. */
  String sign(String id, long timestampSeconds, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] digest = mac.doFinal((id + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }
}
