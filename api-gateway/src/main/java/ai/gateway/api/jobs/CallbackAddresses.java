package ai.gateway.api.jobs;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * Which addresses a callback may connect to (SSRF). One classifier, used by the submit-time check of
 * {@code callbackUrl} and by the resolver of the callback HTTP client on every connection, so an address that
 * DNS hands out only at delivery (rebinding) is judged the same way as a literal in the URL.
 *
 * <p>Refused: unspecified, loopback, private (10/8, 172.16/12, 192.168/16), link-local (169.254/16 with the
 * cloud metadata address, fe80::/10), CGNAT 100.64/10 (Alibaba's metadata 100.100.100.200 too), "this network"
 * 0/8, IETF protocol assignments 192.0.0/24, benchmarking 198.18/15, documentation ranges, multicast, reserved
 * 240/4 and broadcast; IPv6 ULA fc00::/7, site-local fec0::/10, discard 100::/64, documentation 2001:db8::/32,
 * multicast. IPv6 addresses that carry an IPv4 address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96,
 * NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo 2001::/32) are judged by that IPv4 address;
 * Teredo's is obfuscated and always refused.
 */
final class CallbackAddresses {

  /** A host that only digits, dots and hex prefixes make up: an IPv4 literal in some encoding (or garbage). */
  private static final Pattern NUMERIC_HOST = Pattern.compile("(?i)[0-9a-fx.]+");
  private static final Pattern DOTTED_QUAD = Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  /** An IPv4 address written into a host name, as wildcard DNS services (nip.io, sslip.io) resolve them. */
  private static final Pattern EMBEDDED_QUAD = Pattern.compile("(?:^|[.-])((?:\\d{1,3}[.-]){3}\\d{1,3})(?:[.-]|$)");
  private static final List<String> INTERNAL_NAMES = List.of("localhost", "localhost.localdomain", "metadata",
      "metadata.google.internal", "instance-data", "kubernetes.default");
  private static final List<String> INTERNAL_SUFFIXES = List.of(".localhost", ".local", ".internal", ".localdomain",
      ".home.arpa", ".cluster.local", ".svc", ".arpa");

  private CallbackAddresses() {
  }

  /** True when no callback may connect to this address. */
  static boolean blocked(InetAddress address) {
    if (address instanceof Inet4Address) {
      return blockedV4(address.getAddress());
    }
    if (address instanceof Inet6Address) {
      return blockedV6(address.getAddress());
    }
    return true;
  }

  private static boolean blockedV4(byte[] a) {
    int b0 = a[0] & 0xff;
    int b1 = a[1] & 0xff;
    int b2 = a[2] & 0xff;
    return b0 == 0                                    // "this network", 0.0.0.0 unspecified
        || b0 == 10                                   // private
        || b0 == 127                                  // loopback
        || (b0 == 100 && (b1 & 0xc0) == 64)           // CGNAT 100.64/10 (100.100.100.200: Alibaba metadata)
        || (b0 == 169 && b1 == 254)                   // link-local, 169.254.169.254 metadata
        || (b0 == 172 && (b1 & 0xf0) == 16)           // private 172.16/12
        || (b0 == 192 && b1 == 0 && b2 == 0)          // IETF protocol assignments
        || (b0 == 192 && b1 == 0 && b2 == 2)          // TEST-NET-1
        || (b0 == 192 && b1 == 88 && b2 == 99)        // 6to4 relay anycast
        || (b0 == 192 && b1 == 168)                   // private
        || (b0 == 198 && (b1 & 0xfe) == 18)           // benchmarking 198.18/15
        || (b0 == 198 && b1 == 51 && b2 == 100)       // TEST-NET-2
        || (b0 == 203 && b1 == 0 && b2 == 113)        // TEST-NET-3
        || b0 >= 224;                                 // multicast, reserved 240/4, broadcast
  }

  private static boolean blockedV6(byte[] a) {
    if (allZero(a, 0, 10)) {
      if ((a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff) {
        return blockedV4(Arrays.copyOfRange(a, 12, 16));       // IPv4-mapped ::ffff:a.b.c.d
      }
      if (allZero(a, 10, 12)) {
        return true;                                           // ::, ::1 and deprecated IPv4-compatible ::a.b.c.d
      }
    }
    int w0 = ((a[0] & 0xff) << 8) | (a[1] & 0xff);
    int w1 = ((a[2] & 0xff) << 8) | (a[3] & 0xff);
    if (w0 == 0x64 && w1 == 0xff9b) {
      // NAT64 64:ff9b::/96 carries the IPv4 address; the local-use 64:ff9b:1::/48 may translate to anything
      return !allZero(a, 4, 12) || blockedV4(Arrays.copyOfRange(a, 12, 16));
    }
    if (w0 == 0x2002) {
      return blockedV4(Arrays.copyOfRange(a, 2, 6));           // 6to4 2002:a.b.c.d::/48
    }
    if (w0 == 0x2001 && w1 == 0) {
      return true;                                             // Teredo: the IPv4 inside is obfuscated
    }
    if (w0 == 0x2001 && w1 == 0x0db8) {
      return true;                                             // documentation
    }
    if (w0 == 0x0100 && w1 == 0 && allZero(a, 4, 8)) {
      return true;                                             // discard-only 100::/64
    }
    return (a[0] & 0xfe) == 0xfc                               // ULA fc00::/7 (fd00:ec2::254: AWS metadata over IPv6)
        || ((a[0] & 0xff) == 0xfe && (a[1] & 0xc0) == 0x80)    // link-local fe80::/10
        || ((a[0] & 0xff) == 0xfe && (a[1] & 0xc0) == 0xc0)    // site-local fec0::/10 (deprecated)
        || (a[0] & 0xff) == 0xff;                              // multicast
  }

  private static boolean allZero(byte[] a, int from, int to) {
    for (int i = from; i < to; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Why a callback host may never be connected to, judged without DNS, or {@code null}. {@code host} is what
   * {@link java.net.URI#getHost()} gives (IPv6 literals in brackets).
   */
  static @Nullable String hostProblem(String host) {
    String name = host.toLowerCase(Locale.ROOT);
    while (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1); // "localhost." is localhost
    }
    if (name.startsWith("[") && name.endsWith("]")) {
      InetAddress literal = literal(name.substring(1, name.length() - 1));
      if (literal == null) {
        return "must name a valid IPv6 address";
      }
      return blocked(literal) ? "must not point to a private, loopback, link-local or reserved address" : null;
    }
    if (NUMERIC_HOST.matcher(name).matches() && !name.chars().allMatch(c -> c == '.')) {
      if (!DOTTED_QUAD.matcher(name).matches()) {
        // 2130706433, 0x7f000001, 0177.0.0.1, 127.1, 0x7f.1: what inet_aton and some resolvers read as an
        // address. No legitimate callback is written that way; refusing every such form means no parser
        // disagreement can let one through.
        return "must not be an IPv4 address in a non-canonical form";
      }
      InetAddress literal = literal(name);
      return literal == null || blocked(literal) ? "must not point to a private, loopback, link-local or reserved address" : null;
    }
    if (INTERNAL_NAMES.contains(name) || INTERNAL_SUFFIXES.stream().anyMatch(name::endsWith) || !name.contains(".")) {
      return "must be a public host name";
    }
    var embedded = EMBEDDED_QUAD.matcher(name);
    while (embedded.find()) {
      String quad = embedded.group(1).replace('-', '.');
      InetAddress literal = DOTTED_QUAD.matcher(quad).matches() ? literal(quad) : null;
      if (literal != null && blocked(literal)) {
        return "must not point to a private, loopback, link-local or reserved address"; // 127.0.0.1.nip.io
      }
    }
    return null;
  }

  /** An IP literal (canonical dotted quad or IPv6 text) parsed without any DNS lookup, or {@code null}. */
  static @Nullable InetAddress literal(String text) {
    boolean v4 = DOTTED_QUAD.matcher(text).matches();
    boolean v6 = !v4 && text.indexOf(':') >= 0 && text.chars().allMatch(c -> c == ':' || c == '.' || Character.digit(c, 16) >= 0 || c == '%');
    if (!v4 && !v6) {
      return null;
    }
    try {
      return InetAddress.getByName(text); // literal only: the checks above keep host names out, so no lookup happens
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
