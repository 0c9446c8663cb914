package ai.gateway.api.access;

import java.util.ArrayList;
import java.util.List;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.Secret;

/**
 * Refuses to start the gateway without real credentials. The {@code local} and {@code test} profiles carry
 * documented development values (application-local.yml, application-test.yml) so a laptop run needs no
 * setup; anywhere else those values, or none, stop the start with a message saying what to set.
 */
final class CredentialsCheck {

  /** The development JWT secret of the local and test profiles; refused elsewhere. */
  static final String DEVELOPMENT_JWT_SECRET = "local-development-jwt-secret-do-not-use-in-production";
  /** The development admin token of the local and test profiles; refused elsewhere. */
  static final String DEVELOPMENT_ADMIN_TOKEN = "local-admin-token";
  /** The development callback signing secret of the local and test profiles; refused elsewhere. */
  static final String DEVELOPMENT_CALLBACK_SECRET = "whsec_bG9jYWwtZGV2ZWxvcG1lbnQtY2FsbGJhY2stc2lnbmluZy1rZXk=";
  private static final int MIN_SECRET_BYTES = 32;
  private static final int MIN_ADMIN_TOKEN_LENGTH = 16;

  private CredentialsCheck() {
  }

  /** @param development whether the {@code local} or {@code test} profile is active */
  static void verify(GatewayProperties.Auth auth, GatewayProperties.Admin admin, GatewayProperties.Callbacks callbacks,
                     boolean development) {
    List<String> problems = new ArrayList<>(problems(auth, admin, development));
    problems.addAll(callbackProblems(callbacks, development));
    if (!problems.isEmpty()) {
      throw new IllegalStateException("The gateway refuses to start without real credentials:\n  - "
          + String.join("\n  - ", problems));
    }
  }

  static List<String> problems(GatewayProperties.Auth auth, GatewayProperties.Admin admin, boolean development) {
    List<String> problems = new ArrayList<>();
    Secret secret = auth.jwt().secret();
    if (secret == null && auth.jwt().jwkSetUri() == null) {
      problems.add("set gateway.auth.jwt.secret (env GATEWAY_AUTH_JWT_SECRET: the HS256 secret, at least 32 bytes) "
          + "or gateway.auth.jwt.jwk-set-uri (env GATEWAY_AUTH_JWT_JWKSETURI: the issuer's JWK set)");
    } else if (secret != null && auth.jwt().jwkSetUri() != null) {
      problems.add("set only one of gateway.auth.jwt.secret and gateway.auth.jwt.jwk-set-uri");
    }
    if (secret != null && secret.bytes().length < MIN_SECRET_BYTES) {
      problems.add("gateway.auth.jwt.secret must have at least " + MIN_SECRET_BYTES + " bytes (an HS256 key is 256 bits)");
    }
    if (secret != null && !development && secret.value().equals(DEVELOPMENT_JWT_SECRET)) {
      problems.add("gateway.auth.jwt.secret is the development secret, which works only in the local and test profiles");
    }
    Secret token = admin.token();
    if (token == null) {
      problems.add("set gateway.admin.token (env GATEWAY_ADMIN_TOKEN): the bearer token of the /admin API");
    } else {
      if (token.value().length() < MIN_ADMIN_TOKEN_LENGTH) {
        problems.add("gateway.admin.token must have at least " + MIN_ADMIN_TOKEN_LENGTH + " characters");
      }
      if (!development && token.value().equals(DEVELOPMENT_ADMIN_TOKEN)) {
        problems.add("gateway.admin.token is the development token, which works only in the local and test profiles");
      }
    }
    return problems;
  }

  static List<String> callbackProblems(GatewayProperties.Callbacks callbacks, boolean development) {
    Secret secret = callbacks.signingSecret();
    if (secret == null) {
      return List.of("set gateway.callbacks.signing-secret (env GATEWAY_CALLBACKS_SIGNINGSECRET): whsec_ followed by "
          + "the base64 of 24 to 64 random bytes, the key that signs callbacks");
    }
    List<String> problems = new ArrayList<>();
    try {
      ai.gateway.api.jobs.WebhookSigner.keyBytes(secret);
    } catch (IllegalArgumentException e) {
      problems.add("gateway.callbacks.signing-secret: " + e.getMessage());
    }
    if (!development && secret.value().equals(DEVELOPMENT_CALLBACK_SECRET)) {
      problems.add("gateway.callbacks.signing-secret is the development secret, which works only in the local and test profiles");
    }
    return problems;
  }
}
