package ai.gateway.api.jobs;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * The check of {@code callbackUrl}, at submit and again before each delivery: an absolute URL with a host, no
 * user info, no fragment, at most 2,048 characters; {@code https} on the default port 443 and a host that is
 * neither an internal name ({@code localhost}, {@code *.internal}, …), nor a refused IP literal, nor an IPv4
 * address in a non-canonical encoding ({@link CallbackAddresses#hostProblem}). Hosts of the allowlist
 * ({@code gateway.callbacks.allowed-hosts}, exact names, case-insensitive) may use {@code http} and any port
 * and skip the address checks. Addresses a name resolves to are judged where the connection is made
 * ({@link VettingResolverGroup}), so DNS cannot undo this.
 */
public final class CallbackUrls {

  static final int MAX_LENGTH = 2048;

  private CallbackUrls() {
  }

  /** The problem with the URL, or {@code null} when a callback may be sent to it. */
  public static @Nullable String problem(String url, Set<String> allowedHosts) {
    if (url.isEmpty() || url.length() > MAX_LENGTH) {
      return "must have 1 to " + MAX_LENGTH + " characters";
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "must be an absolute https URL";
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!uri.isAbsolute() || uri.isOpaque() || !("https".equals(scheme) || "http".equals(scheme))) {
      return "must be an absolute https URL";
    }
    if (uri.getRawUserInfo() != null) {
      return "must not contain user information";
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      return "must name a host";
    }
    if (uri.getRawFragment() != null) {
      return "must not contain a fragment";
    }
    if (allowed(uri.getHost(), allowedHosts)) {
      return null;
    }
    if (!"https".equals(scheme)) {
      return "must be an absolute https URL";
    }
    if (uri.getPort() != -1 && uri.getPort() != 443) {
      return "must use the https port 443";
    }
    return CallbackAddresses.hostProblem(uri.getHost());
  }

  static boolean allowed(String host, Set<String> allowedHosts) {
    return allowedHosts.contains(host.toLowerCase(Locale.ROOT));
  }
}
