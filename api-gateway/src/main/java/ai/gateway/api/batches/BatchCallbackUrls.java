package ai.gateway.api.batches;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * The submit-time syntax check of {@code callbackUrl}: an absolute {@code https} URL with a host, no user
 * info, no fragment, at most 2,048 characters. Where it may connect (SSRF: resolved addresses, ports,
 * redirects) is decided by the callback delivery, at submit and again when it connects; not here.
 */
final class BatchCallbackUrls {

  static final int MAX_LENGTH = 2048;

  private BatchCallbackUrls() {
  }

  /** The problem with the URL, or {@code null} when its syntax is acceptable. */
  static @Nullable String problem(String url) {
    if (url.isEmpty() || url.length() > MAX_LENGTH) {
      return "must have 1 to " + MAX_LENGTH + " characters";
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "must be an absolute https URL";
    }
    if (!uri.isAbsolute() || uri.isOpaque() || uri.getScheme() == null
        || !"https".equals(uri.getScheme().toLowerCase(Locale.ROOT))) {
      return "must be an absolute https URL";
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      return "must name a host";
    }
    if (uri.getRawUserInfo() != null) {
      return "must not contain user information";
    }
    if (uri.getRawFragment() != null) {
      return "must not contain a fragment";
    }
    return null;
  }
}
