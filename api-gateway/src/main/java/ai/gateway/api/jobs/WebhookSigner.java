package ai.gateway.api.jobs;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

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

  private final List<SecretKeySpec> keys;

  WebhookSigner(Secret secret) {
    this(List.of(keyBytes(secret)));
  }

  /** Signs with each key: the spec's space-separated signatures, so a receiver can rotate without a gap. */
  WebhookSigner(List<byte[]> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("a signer needs a key");
    }
    this.keys = keys.stream().map(key -> new SecretKeySpec(key, "HmacSHA256")).toList();
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

  /** The {@code webhook-signature} header value: {@code v1,<base64>} per key, separated by spaces. */
  String sign(String id, long timestampSeconds, String body) {
    byte[] content = (id + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8);
    StringBuilder signatures = new StringBuilder();
    for (SecretKeySpec key : keys) {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        signatures.append(signatures.isEmpty() ? "" : " ").append("v1,")
            .append(Base64.getEncoder().encodeToString(mac.doFinal(content)));
      } catch (NoSuchAlgorithmException | InvalidKeyException e) {
        throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
      }
    }
    return signatures.toString();
  }
}
