package ai.gateway.api.jobs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeoutException;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import ai.gateway.api.config.Secret;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import org.jspecify.annotations.Nullable;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.publisher.Mono;

/**
 * Each user's webhook signing secret ({@code whsec_} + base64 of 32 random bytes): made on first use, rotated on
 * request, the previous one still signing for {@code previousValidity} after a rotation. Stored with AES-256-GCM
 * under a key derived from the gateway's configured secret ({@code gateway.callbacks.signing-secret}); the
 * JDK's cipher, since the format is one nonce and one ciphertext and needs no library.
 */
public final class WebhookSecrets {

  private static final Duration RETRY_AFTER = Duration.ofSeconds(2);
  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DatabaseClient db;
  private final @Nullable SecretKeySpec storageKey;
  private final Duration previousValidity;
  private final Duration timeout;

  /**
   * {@code master} may be missing: outside the local and test profiles {@code CredentialsCheck} then refuses the
   * start, naming every missing credential at once; this bean must not fail the start first with less to say.
   */
  WebhookSecrets(DatabaseClient db, @Nullable Secret master, Duration previousValidity, Duration timeout) {
    this.db = db;
    this.storageKey = master == null ? null : storageKey(WebhookSigner.keyBytes(master));
    this.previousValidity = previousValidity;
    this.timeout = timeout;
  }

  /** A user's secret as the API shows it, and until when the one it replaced still signs (if it does). */
  public record Shown(String secret, @Nullable Instant previousValidUntil) {
  }

  /** The user's current secret, made now if the user has none. */
  Mono<Shown> current(String userId) {
    return ensure(userId).then(guard(db.sql("""
            select secret, case when previous_expires_at > now() then previous_expires_at end as previous_until
              from webhook_secrets where user_id = :user""")
        .bind("user", userId)
        .map((row, meta) -> new Shown(decrypt(row.get("secret", byte[].class)),
            row.get("previous_until", Instant.class)))
        .one()));
  }

  /** Replaces the user's secret; the replaced one keeps signing for the validity period. */
  Mono<Shown> rotate(String userId) {
    byte[] next = encrypt(generate());
    return ensure(userId).then(guard(db.sql("""
            update webhook_secrets
               set previous_secret = secret, previous_expires_at = now() + make_interval(secs => :validity),
                   secret = :next, rotated_at = now()
             where user_id = :user""")
        .bind("user", userId).bind("next", next).bind("validity", (double) previousValidity.toSeconds())
        .fetch().rowsUpdated()))
        .then(current(userId));
  }

  /** The keys a callback to this user is signed with: the current one, and the previous while it is valid. */
  Mono<List<byte[]>> signingKeys(String userId) {
    return ensure(userId).then(guard(db.sql("""
            select secret, case when previous_expires_at > now() then previous_secret end as previous
              from webhook_secrets where user_id = :user""")
        .bind("user", userId)
        .map((row, meta) -> {
          List<byte[]> keys = new ArrayList<>();
          keys.add(WebhookSigner.keyBytes(new Secret(decrypt(row.get("secret", byte[].class)))));
          byte[] previous = row.get("previous", byte[].class);
          if (previous != null) {
            keys.add(WebhookSigner.keyBytes(new Secret(decrypt(previous))));
          }
          return keys;
        })
        .one()));
  }

  /** Makes the user's secret if there is none: a read first, so the common case makes and encrypts nothing. */
  private Mono<Long> ensure(String userId) {
    return guard(db.sql("select 1 from webhook_secrets where user_id = :user").bind("user", userId)
        .map((row, meta) -> 1L).one()
        .switchIfEmpty(Mono.defer(() -> db.sql(
                "insert into webhook_secrets (user_id, secret) values (:user, :secret) on conflict do nothing")
            .bind("user", userId).bind("secret", encrypt(generate())).fetch().rowsUpdated())));
  }

  private static String generate() {
    byte[] key = new byte[KEY_BYTES];
    RANDOM.nextBytes(key);
    return WebhookSigner.PREFIX + Base64.getEncoder().encodeToString(key);
  }

  private SecretKeySpec key() {
    if (storageKey == null) {
      throw new IllegalStateException("gateway.callbacks.signing-secret is not set");
    }
    return storageKey;
  }

  private byte[] encrypt(String secret) {
    SecretKeySpec key = key();
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.US_ASCII));
      return ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is part of every Java runtime", e);
    }
  }

  private String decrypt(byte @Nullable [] stored) {
    if (stored == null || stored.length <= NONCE_BYTES) {
      throw new IllegalStateException("a stored webhook secret is malformed");
    }
    SecretKeySpec key = key();
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, stored, 0, NONCE_BYTES));
      return new String(cipher.doFinal(stored, NONCE_BYTES, stored.length - NONCE_BYTES), StandardCharsets.US_ASCII);
    } catch (GeneralSecurityException e) {
      // the configured secret changed since this one was stored; the message names nothing secret
      throw new IllegalStateException("a stored webhook secret cannot be decrypted with the configured key");
    }
  }

  /** The storage key: SHA-256 over a label and the configured key, so it is used for nothing else. */
  static SecretKeySpec storageKey(byte[] master) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("ai-gateway webhook secrets v1".getBytes(StandardCharsets.US_ASCII));
      return new SecretKeySpec(sha.digest(master), "AES");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  private <T> Mono<T> guard(Mono<T> query) {
    return query
        .timeout(timeout, Mono.error(() -> new TimeoutException("no answer from PostgreSQL within " + timeout)))
        .onErrorMap(failure -> !(failure instanceof ApiException),
            failure -> ApiError.of(ErrorCode.UNAVAILABLE, "The webhook secret store is unavailable; try again later.")
                .withRetryAfter(RETRY_AFTER).exception(failure));
  }
}
