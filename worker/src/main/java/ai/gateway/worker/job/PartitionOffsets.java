package ai.gateway.worker.job;

import java.util.TreeSet;

/**
 * At-least-once commit position of one partition whose records finish out of order: the lowest offset
 * still unfinished, or one past the highest fetched when all are done. A record that never finishes
 * holds the position there, so a restart or rebalance redelivers it. Used on the poll thread only.
 */
final class PartitionOffsets {

  private final TreeSet<Long> unfinished = new TreeSet<>();
  private long next = -1;
  private long committed = -1;

  void fetched(long offset) {
    unfinished.add(offset);
    next = Math.max(next, offset + 1);
  }

  void finished(long offset) {
    unfinished.remove(offset);
  }

  /** The offset to commit (the next record to read after a restart), or -1 if nothing was fetched. */
  long position() {
    return unfinished.isEmpty() ? next : unfinished.first();
  }

  /** Whether the position moved since the last {@link #markCommitted(long)}. */
  boolean hasNewPosition() {
    long position = position();
    return position >= 0 && position != committed;
  }

  void markCommitted(long position) {
    committed = position;
  }

  int unfinishedCount() {
    return unfinished.size();
  }
}
