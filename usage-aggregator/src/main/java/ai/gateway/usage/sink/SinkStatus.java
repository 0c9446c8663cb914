package ai.gateway.usage.sink;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * The writer's health, shared between the sink thread (writes it) and health checks and metrics (read
 * it). An outage runs from the first failed write until the records that failed are written: a batch
 * that happens to hold only totals may succeed meanwhile, which does not end it.
 */
final class SinkStatus {

  /** The ongoing outage: when it began, how many writes failed, the latest error. */
  record Outage(Instant since, long failedWrites, String lastError) {
  }

  private final Clock clock;
  private volatile @Nullable Outage outage;
  private volatile @Nullable Instant lastWriteAt;

  SinkStatus(Clock clock) {
    this.clock = clock;
  }

  /** Records a failed write; true if it begins an outage (the one failure worth logging). */
  synchronized boolean failed(Exception error) {
    Outage current = outage;
    String summary = summary(error);
    if (current == null) {
      outage = new Outage(clock.instant(), 1, summary);
      return true;
    }
    outage = new Outage(current.since(), current.failedWrites() + 1, summary);
    return false;
  }

  /** Records a successful write; it ends no outage by itself (see {@link #recovered()}). */
  void wrote() {
    lastWriteAt = clock.instant();
  }

  /** Ends the outage, once the records whose writes failed are written; returns it, if there was one. */
  synchronized @Nullable Outage recovered() {
    Outage ended = outage;
    outage = null;
    return ended;
  }

  @Nullable Outage outage() {
    return outage;
  }

  @Nullable Instant lastWriteAt() {
    return lastWriteAt;
  }

  Duration sinceStartOf(Outage ended) {
    return Duration.between(ended.since(), clock.instant());
  }

  /** The root cause's type and message: the SQL state and reason, no bind values. */
  private static String summary(Throwable error) {
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
