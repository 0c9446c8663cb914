package ai.gateway.api.access;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;

/**
 * Open event streams per user on this instance, at most {@code gateway.rate-limit.max-open-streams}. A slot
 * is taken before the stream's job is counted against the rate limit and given back exactly once when the
 * stream ends for any reason (done, error, deadline, client gone), so the count returns to zero after
 * disconnects. Per instance: a stream lives on the connection of one instance, and a crashed instance
 * takes its streams (and their slots) with it, which a shared counter could only approximate with leases.
 */
public final class StreamSlots {

  private final int max;
  private final Map<String, Integer> open = new ConcurrentHashMap<>();

  StreamSlots(int max) {
    this.max = max;
  }

  /** Takes a slot or fails with 429 {@code RATE_LIMITED}. */
  Slot take(String userId) {
    boolean[] taken = new boolean[1];
    open.compute(userId, (user, count) -> {
      int current = count == null ? 0 : count;
      taken[0] = current < max;
      return taken[0] ? current + 1 : count;
    });
    if (!taken[0]) {
      throw ApiError.of(ErrorCode.RATE_LIMITED, "Too many open streams: at most " + max + " per user.").exception();
    }
    return new Slot(userId);
  }

  /** Streams the user has open now. */
  public int openStreams(String userId) {
    return open.getOrDefault(userId, 0);
  }

  /** Streams open now, all users. */
  public int openStreams() {
    return open.values().stream().mapToInt(Integer::intValue).sum();
  }

  final class Slot implements AutoCloseable {

    private final String userId;
    private final AtomicBoolean released = new AtomicBoolean();

    private Slot(String userId) {
      this.userId = userId;
    }

    @Override
    public void close() {
      if (released.compareAndSet(false, true)) {
        open.computeIfPresent(userId, (user, count) -> count <= 1 ? null : count - 1);
      }
    }
  }
}
