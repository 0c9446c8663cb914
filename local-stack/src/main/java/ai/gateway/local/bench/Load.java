package ai.gateway.local.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load: {@code concurrency} clients, each sending its next request as soon as the previous
 * one ended, until {@code requests} requests have been sent. One platform thread per client: the clients
 * block on their own connection, so what is measured is the server, not a shared client event loop.
 */
final class Load {

  /** One request as the harness times it. */
  interface Call {
    /** Sends request number {@code index}; returns nanoseconds to the first token, or -1 if not a stream. */
    Timing send(int index) throws Exception;
  }

  record Timing(long firstTokenNanos, long totalNanos) {
  }

  /** What one level of load gave; histograms in microseconds. */
  record Result(String target, int concurrency, int requests, long completed, long errors, double seconds,
      Histogram firstToken, Histogram total, List<String> errorSamples) {

    double perSecond() {
      return completed / seconds;
    }
  }

  /** The longest time a histogram records; longer ones count as this. */
  static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(5);

  private Load() {
  }

  static Result run(String target, int concurrency, int requests, Call call) throws InterruptedException {
    Recorder firstToken = new Recorder(MAX_MICROS, 3);
    Recorder total = new Recorder(MAX_MICROS, 3);
    AtomicInteger next = new AtomicInteger();
    AtomicLong completed = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    ConcurrentMap<String, Boolean> samples = new ConcurrentHashMap<>();
    CountDownLatch done = new CountDownLatch(concurrency);
    long start = System.nanoTime();
    for (int client = 0; client < concurrency; client++) {
      Thread thread = new Thread(() -> {
        try {
          int index;
          while ((index = next.getAndIncrement()) < requests) {
            try {
              Timing timing = call.send(index);
              completed.incrementAndGet();
              total.recordValue(Math.min(MAX_MICROS, timing.totalNanos() / 1000));
              if (timing.firstTokenNanos() >= 0) {
                firstToken.recordValue(Math.min(MAX_MICROS, timing.firstTokenNanos() / 1000));
              }
            } catch (Exception e) {
              errors.incrementAndGet();
              if (samples.size() < 5) {
                samples.putIfAbsent(String.valueOf(e.getMessage()), Boolean.TRUE);
              }
            }
          }
        } finally {
          done.countDown();
        }
      }, "bench-client-" + client);
      thread.setDaemon(true);
      thread.start();
    }
    if (!done.await(30, TimeUnit.MINUTES)) {
      throw new IllegalStateException(target + " at concurrency " + concurrency + " did not finish in 30 minutes");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Result(target, concurrency, requests, completed.get(), errors.get(), seconds,
        firstToken.getIntervalHistogram(), total.getIntervalHistogram(), new ArrayList<>(samples.keySet()));
  }
}
