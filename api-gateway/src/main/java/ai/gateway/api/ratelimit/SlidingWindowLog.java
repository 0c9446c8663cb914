package ai.gateway.api.ratelimit;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import ai.gateway.api.config.GatewayProperties.RateLimit.Window;

/**
 * The limiter's algorithm, shared by both stores: an exact sliding log. The state of a user is the
 * ascending list of the times their admitted creations happened, kept for the longest window. A creation
 * at time {@code now} is admitted if, for every window, fewer than {@code limit} entries lie in
 * {@code (now - period, now]}; then it is appended. So no interval of length {@code period} ever holds more
 * than {@code limit} admissions, whatever the alignment: there is no boundary where two fixed windows'
 * budgets add up (a fixed window admits 2 × limit around its edge; a token bucket or GCRA admits its burst
 * plus the refill inside one period). The price is memory: at most the largest limit of entries per user.
 *
 * <p>Pure and stateless: the stores supply the log, the clock and the atomicity.
 */
final class SlidingWindowLog {

  private static final long[] EMPTY = new long[0];

  private final List<Window> windows;
  private final long longestMicros;

  SlidingWindowLog(List<Window> windows) {
    if (windows.isEmpty()) {
      throw new IllegalArgumentException("at least one window");
    }
    this.windows = List.copyOf(windows);
    this.longestMicros = windows.stream().mapToLong(w -> micros(w.period())).max().orElseThrow();
  }

  Duration longestPeriod() {
    return Duration.ofNanos(Math.multiplyExact(longestMicros, 1000L));
  }

  /**
   * @param log ascending admission times in microseconds (any clock, as long as it is the same one as {@code now})
   * @return the decision and the log to keep: pruned to the longest window and, if admitted, with {@code now}
   *     appended (a rejected offer changes nothing but the pruning)
   */
  Outcome offer(long[] log, long now) {
    int kept = firstAfter(log, 0, now - longestMicros);
    long waitMicros = 0;
    Window limitedBy = null;
    for (Window window : windows) {
      long period = micros(window.period());
      int first = firstAfter(log, kept, now - period);
      int inWindow = log.length - first;
      if (inWindow >= window.limit()) {
        // The window has room again once enough of its oldest entries have aged out: the entry that must
        // go is the (inWindow - limit + 1)-th oldest, and an entry e is out of the window from e + period on.
        long freeAt = log[first + inWindow - window.limit()] + period;
        long wait = Math.max(1, freeAt - now);
        if (wait > waitMicros) {
          waitMicros = wait;
          limitedBy = window;
        }
      }
    }
    long[] pruned = kept == 0 ? log : Arrays.copyOfRange(log, kept, log.length);
    if (limitedBy != null) {
      return new Outcome(RateLimitDecision.rejected(Duration.ofNanos(waitMicros * 1000L), limitedBy), pruned);
    }
    long[] admitted = Arrays.copyOf(pruned, pruned.length + 1);
    // A clock that stepped back must not unsort the log: the later of the two is the safe (stricter) choice.
    admitted[pruned.length] = pruned.length == 0 ? now : Math.max(now, pruned[pruned.length - 1]);
    return new Outcome(RateLimitDecision.ADMITTED, admitted);
  }

  static long[] empty() {
    return EMPTY;
  }

  /** Index of the first entry from {@code from} on that is greater than {@code bound} (the log is ascending). */
  private static int firstAfter(long[] log, int from, long bound) {
    int low = from;
    int high = log.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (log[mid] > bound) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return low;
  }

  private static long micros(Duration duration) {
    return Math.max(1, duration.toNanos() / 1000L);
  }

  record Outcome(RateLimitDecision decision, long[] log) {
  }
}
