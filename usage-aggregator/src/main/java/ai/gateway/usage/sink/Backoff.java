package ai.gateway.usage.sink;

import java.time.Duration;

/** Doubling pauses between failed writes, from min up to max; reset by a successful write. */
final class Backoff {

  private final Duration min;
  private final Duration max;
  private Duration next;

  Backoff(Duration min, Duration max) {
    this.min = min;
    this.max = max;
    this.next = min;
  }

  Duration next() {
    Duration current = next;
    Duration doubled = current.multipliedBy(2);
    next = doubled.compareTo(max) > 0 ? max : doubled;
    return current;
  }

  void reset() {
    next = min;
  }
}
