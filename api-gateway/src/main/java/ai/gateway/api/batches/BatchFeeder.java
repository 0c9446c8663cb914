package ai.gateway.api.batches;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import ai.gateway.api.batches.PostgresBatches.Claimed;
import ai.gateway.api.jobs.BatchCallbacks;
import ai.gateway.api.jobs.CallbackQueue;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Feeds batch items to {@code ai.batch-jobs}, at most {@code K} ({@code gateway.batches.max-in-flight-per-user}) of
 * one user's items in flight (claimed and not finished) across all the user's batches and all gateway instances.
 * Every instance runs one, on its own thread, every {@code feed-interval} and sooner when an item of this
 * instance's status partitions ends.
 *
 * <p>A pass: delete uploads a crashed gateway left ({@code receiving} past {@code receive-timeout}); republish items
 * claimed but never marked published for {@code republish-after} (their gateway died between the claim and the
 * publish: the same record under the same job id, which workers run once); then, per user with open batches, claim
 * (in one transaction holding the user's advisory lock, so two instances never count the same room twice) as many
 * queued items as the user has room for, publish them, and mark them published.
 */
final class BatchFeeder implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(BatchFeeder.class);
  private static final int REPUBLISH_BATCH = 500;

  private final PostgresBatches batches;
  private final BatchItemPublisher publisher;
  private final CallbackQueue callbacks;
  private final int maxInFlightPerUser;
  private final Duration interval;
  private final Duration republishAfter;
  private final Duration receiveTimeout;
  private final Duration queryTimeout;
  private final BlockingQueue<Boolean> wakeups = new ArrayBlockingQueue<>(1);
  private volatile boolean running;
  private @Nullable Thread thread;

  BatchFeeder(PostgresBatches batches, BatchItemPublisher publisher, CallbackQueue callbacks, int maxInFlightPerUser,
              Duration interval, Duration republishAfter, Duration receiveTimeout, Duration queryTimeout) {
    this.batches = batches;
    this.publisher = publisher;
    this.callbacks = callbacks;
    this.maxInFlightPerUser = maxInFlightPerUser;
    this.interval = interval;
    this.republishAfter = republishAfter;
    this.receiveTimeout = receiveTimeout;
    this.queryTimeout = queryTimeout;
  }

  /** Room was made (an item ended, a batch was accepted): feed now rather than at the next interval. */
  void wake() {
    wakeups.offer(Boolean.TRUE);
  }

  /** One pass; public to the package for tests. */
  void feedOnce() {
    batches.forgetAbandoned(receiveTimeout).block(queryTimeout);
    List<Claimed> stale = batches.reclaimUnpublished(republishAfter, REPUBLISH_BATCH).block(queryTimeout);
    if (stale != null && !stale.isEmpty()) {
      log.warn("{} batch items were claimed but not published by a failed gateway; publishing them", stale.size());
      publish(stale);
    }
    List<String> users = batches.feedingUsers().block(queryTimeout);
    for (String user : users == null ? List.<String>of() : users) {
      List<Claimed> claimed = batches.claim(user, maxInFlightPerUser).block(queryTimeout);
      if (claimed != null && !claimed.isEmpty()) {
        publish(claimed);
      }
    }
    enqueueCallbacks();
  }

  /**
   * Completed batches with a callback due: published on {@code ai.callbacks}, then marked. The statement that
   * completed the batch made it pending, whoever ran it (an item's end, a cancel); a crash before the mark only
   * means a second record, whose attempts the table refuses.
   */
  private void enqueueCallbacks() {
    List<UUID> due = batches.pendingCallbacks(REPUBLISH_BATCH).block(queryTimeout);
    for (UUID id : due == null ? List.<UUID>of() : due) {
      callbacks.enqueue(BatchCallbacks.PREFIX + id);
      batches.markCallbackEnqueued(id).block(queryTimeout);
    }
  }

  private void publish(List<Claimed> items) {
    List<UUID> acknowledged = publisher.publish(items);
    // Not marked: republished after republish-after (a record Kafka did write is then a duplicate, run once).
    batches.markPublished(acknowledged).block(queryTimeout);
  }

  private void run() {
    while (running) {
      try {
        feedOnce();
      } catch (RuntimeException e) {
        log.warn("batch feeding failed (retried at the next interval): {}", e.toString());
      }
      try {
        wakeups.poll(interval.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    Thread loop = new Thread(this::run, "batch-feeder");
    loop.setDaemon(true);
    loop.start();
    thread = loop;
  }

  @Override
  public void stop() {
    Thread loop;
    synchronized (this) {
      running = false;
      loop = thread;
      thread = null;
    }
    if (loop != null) {
      loop.interrupt();
      try {
        loop.join(queryTimeout.toMillis() + 2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
