package ai.gateway.worker.job;

import java.time.Duration;
import java.util.List;
import java.util.PriorityQueue;

/**
 * What a perfect intake would have done with the same jobs: {@code slots} jobs always running, the next one
 * started the instant one ends, no fetch, dispatch or commit cost. The benchmark divides what a design
 * achieved by this, so the start-up transient (all slots begin at once) does not count against it.
 */
final class IdealSchedule {

  private IdealSchedule() {
  }

  /** Jobs (durations in start order) a perfect intake with {@code slots} completes before {@code by}. */
  static int completedBy(List<Long> durationsMillis, int slots, Duration by) {
    long limit = by.toMillis();
    PriorityQueue<Long> ends = new PriorityQueue<>();
    int next = 0;
    while (next < durationsMillis.size() && next < slots) {
      ends.add(durationsMillis.get(next++));
    }
    int completed = 0;
    while (!ends.isEmpty() && ends.peek() < limit) {
      long end = ends.poll();
      completed++;
      if (next < durationsMillis.size()) {
        ends.add(end + durationsMillis.get(next++));
      }
    }
    return completed;
  }

  static int completedBetween(List<Long> durationsMillis, int slots, Duration from, Duration to) {
    return completedBy(durationsMillis, slots, to) - completedBy(durationsMillis, slots, from);
  }
}
