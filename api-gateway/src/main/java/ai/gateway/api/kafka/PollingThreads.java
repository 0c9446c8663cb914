package ai.gateway.api.kafka;

import org.apache.kafka.clients.consumer.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The thread of a component that owns one Kafka consumer and polls it in a loop (the reply stream, the reply
 * tail, the provider feed): started as a daemon, stopped by waking the consumer out of its poll and waiting
 * for the loop to end.
 */
public final class PollingThreads {

  private static final long JOIN_MILLIS = 5_000;

  private PollingThreads() {
  }

  public static Thread start(String name, Runnable loop) {
    Thread thread = new Thread(loop, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /** Wakes {@code consumer} (the one thread-safe call on it) and waits up to 5 s for {@code thread} to end. */
  public static void stop(@Nullable Consumer<?, ?> consumer, @Nullable Thread thread) {
    if (consumer != null) {
      consumer.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(JOIN_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
