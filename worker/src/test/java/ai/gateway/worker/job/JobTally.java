package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;

/**
 * What a benchmark run did: when each job started and finished, how many ran at once. The simulated work is
 * a non-blocking timer ({@code Mono.delay}) lasting what the job's model says ({@code sim-ms-<N>}, the
 * provider simulator's own convention), so the intake design is all that is measured.
 */
final class JobTally {

  private final AtomicLong firstStartNanos = new AtomicLong();
  private final ConcurrentHashMap<String, AtomicInteger> starts = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> finishedAtNanos = new ConcurrentHashMap<>();
  private final AtomicInteger finishes = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger peakRunning = new AtomicInteger();

  static long durationMillis(GenerationJob job) {
    return Long.parseLong(job.getModel().substring("sim-ms-".length()));
  }

  /** The work function handed to a design. */
  CompletableFuture<Void> simulate(GenerationJob job) {
    started(job.getJobId());
    return Mono.delay(Duration.ofMillis(durationMillis(job))).then().toFuture()
        .whenComplete((ok, error) -> finished(job.getJobId()));
  }

  void started(String jobId) {
    firstStartNanos.compareAndSet(0, System.nanoTime());
    starts.computeIfAbsent(jobId, id -> new AtomicInteger()).incrementAndGet();
    peakRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
  }

  void finished(String jobId) {
    running.decrementAndGet();
    finishes.incrementAndGet();
    finishedAtNanos.putIfAbsent(jobId, System.nanoTime());
  }

  boolean hasStarted(String jobId) {
    return starts.containsKey(jobId);
  }

  boolean hasFinished(String jobId) {
    return finishedAtNanos.containsKey(jobId);
  }

  /** When the job first finished, in {@link System#nanoTime()}. */
  long finishedAtNanos(String jobId) {
    return finishedAtNanos.get(jobId);
  }

  /** Time since the first job started; zero before. */
  Duration elapsed() {
    long first = firstStartNanos.get();
    return first == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - first);
  }

  int finishedCount() {
    return finishedAtNanos.size();
  }

  /** Jobs that finished (first time) between these two times after the first start. */
  int finishedBetween(Duration from, Duration to) {
    long first = firstStartNanos.get();
    return (int) finishedAtNanos.values().stream()
        .map(at -> Duration.ofNanos(at - first))
        .filter(at -> at.compareTo(from) >= 0 && at.compareTo(to) < 0)
        .count();
  }

  /** Jobs started more than once (redelivered). */
  List<String> startedMoreThanOnce() {
    return starts.entrySet().stream().filter(e -> e.getValue().get() > 1).map(java.util.Map.Entry::getKey).toList();
  }

  int finishEvents() {
    return finishes.get();
  }

  int peakRunning() {
    return peakRunning.get();
  }
}
