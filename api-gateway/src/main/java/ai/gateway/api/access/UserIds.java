package ai.gateway.api.access;

import java.util.regex.Pattern;

/**
 * What a user id (a JWT {@code sub}, an admin-created id) may look like: what identity providers use
 * ({@code 8f14e45f-…}, {@code auth0|5f7c…}, {@code google-oauth2|1234}, an e-mail address) and nothing that
 * could break a log line, a header or a Kafka key.
 */
public final class UserIds {

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:@|+-]{1,255}");

  private UserIds() {
  }

  public static boolean isValid(String userId) {
    return VALID.matcher(userId).matches();
  }
}
