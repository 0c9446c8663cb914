package ai.gateway.api.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationEvent;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code GET /v1/jobs/{id}/events} for any number of subscribers: one group-less consumer per instance (the
 * tail) reads the partitions of {@code ai.replies} that hold jobs with subscribers here, and only those, and
 * hands a record to the job's {@link JobChannel} only when the job has one (the key is looked up before
 * anything is decoded). A job's first subscriber makes its channel, which one catch-up read
 * ({@link KafkaReplay#catchUp}, a bounded number at once) fills with what the topic already held; the others
 * share it and get that history from memory.
 *
 * <p>Partitions: the channel is registered first, then the tail thread is asked for the job's partition. If the
 * tail already reads it, it reads every record from its position on, so the catch-up reads up to the end it
 * measures itself. If not, the tail adds the partition at its end offset and the catch-up reads up to exactly
 * that offset: no record falls between the two. About once a second the tail drops partitions none of its
 * channels is on. All assignment changes happen on the tail's thread, in order with these requests, so a
 * partition is never dropped under a channel registered before the drop was decided. (Until issue 9 the tail
 * read every partition from its end, so each instance fetched the whole fleet's replies.)
 *
 * <p>Semantics are {@link ReplyStream#replay}'s: any instance serves any job, {@code Last-Event-ID} resumes
 * after that event, each subscriber ends at the terminal event, with {@code TIMEOUT} if the job does not end
 * within {@code timeout}, with {@code UNAVAILABLE} if Kafka cannot be read (a tail that loses Kafka fails every
 * channel: it starts again at the end, and records in between would be missed), or if the subscriber lets more
 * than {@code bufferSize} live events pile up unread.
 */
final class KafkaReplyTail implements JobReplays, SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(KafkaReplyTail.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration RESTART_BACKOFF = Duration.ofSeconds(1);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);
  private static final int PREFETCH = 32;
  private static final Duration PRUNE_INTERVAL = Duration.ofSeconds(1);

  private final Map<String, JobChannel> channels = new ConcurrentHashMap<>();
  private final Supplier<Consumer<String, byte[]>> consumers;
  private final KafkaReplay catchUps;
  private final Settings settings;
  private final CountDownLatch firstReady = new CountDownLatch(1);
  /** Jobs whose new channel waits for the tail to hold their partition; served on the tail's thread. */
  private final BlockingQueue<PartitionRequest> requests = new LinkedBlockingQueue<>();

  private volatile boolean running;
  private volatile boolean ready;
  private volatile @Nullable Consumer<String, byte[]> consumer;
  private volatile Set<TopicPartition> assignment = Set.of();
  private int partitionCount;
  private @Nullable Thread thread;

  /**
   * @param bufferSize live events a subscriber may leave unread before it ends with {@code UNAVAILABLE}
   * @param timeout    longest a subscriber waits for the job's terminal event
   * @param lostAfter  an end-offset request unanswered this long means Kafka is lost
   */
  record Settings(String topic, int bufferSize, Duration timeout, Duration readyWait, Duration lostAfter,
                  Duration retryAfter) {
  }

  /** A new channel's job: {@code start} gets the offset the tail started its partition at, or empty if it already read it. */
  private record PartitionRequest(String jobId, CompletableFuture<OptionalLong> start) {
  }

  KafkaReplyTail(Supplier<Consumer<String, byte[]>> consumers, KafkaReplay catchUps, Settings settings) {
    this.consumers = consumers;
    this.catchUps = catchUps;
    this.settings = settings;
  }

  @Override
  public Flux<GenerationEvent> replay(String jobId, Instant createdAt, @Nullable EventPosition after) {
    return Flux.defer(() -> {
      if (!ready) {
        return Flux.error(unavailable("The job's events cannot be read now; try again."));
      }
      JobChannel channel = join(jobId, createdAt);
      KafkaReplay.Replayed position = new KafkaReplay.Replayed(after);
      AtomicBoolean ended = new AtomicBoolean();
      return channel.events()
          .publishOn(Schedulers.parallel(), PREFETCH)
          .<GenerationEvent>handle((event, sink) -> {
            if (position.admit(event)) {
              sink.next(event);
            }
            if (position.finished) {
              sink.complete();
            }
          })
          .doOnComplete(() -> ended.set(true))
          .takeUntilOther(Mono.delay(settings.timeout()))
          .concatWith(Mono.defer(() -> ended.get() ? Mono.empty() : Mono.error(ApiError.of(ErrorCode.TIMEOUT,
              "The job's events did not end within " + settings.timeout().toSeconds() + " s.").exception())))
          .doFinally(signal -> leave(channel));
    });
  }

  /** Holds the job's channel, making it (and starting its catch-up, after it is registered) if there is none. */
  private JobChannel join(String jobId, Instant createdAt) {
    JobChannel[] made = new JobChannel[1];
    JobChannel channel = channels.compute(jobId, (key, existing) -> {
      if (existing != null && existing.hold()) {
        return existing;
      }
      JobChannel fresh = new JobChannel(jobId, settings.bufferSize(),
          () -> unavailable("The client did not read the stream fast enough."));
      fresh.hold();
      made[0] = fresh;
      return fresh;
    });
    JobChannel fresh = made[0];
    if (fresh != null) {
      // Registered above, so the tail keeps (or adds) the job's partition and every record from the catch-up's
      // end offset on reaches the channel.
      fresh.catchingUp(Mono.fromFuture(holdPartition(jobId)).flatMap(start -> catchUps.catchUp(jobId, createdAt, start))
          .subscribe(fresh::caughtUp, error -> {
        channels.remove(jobId, fresh);
        fresh.fail(error instanceof ApiException ? error : unavailable("The job's events cannot be read now; try again."));
      }));
    }
    return channel;
  }

  /** Asks the tail's thread to read the job's partition; completes with where it started it (empty: it already read it). */
  private CompletableFuture<OptionalLong> holdPartition(String jobId) {
    PartitionRequest request = new PartitionRequest(jobId, new CompletableFuture<>());
    requests.add(request);
    Consumer<String, byte[]> current = consumer;
    if (current != null) {
      current.wakeup(); // out of its poll, to serve the request now
    }
    return request.start();
  }

  private void leave(JobChannel channel) {
    if (channel.release()) {
      channels.remove(channel.jobId(), channel);
    }
  }

  /** Jobs with a channel now. */
  int channelCount() {
    return channels.size();
  }

  boolean ready() {
    return ready;
  }

  /** The partitions the tail reads now: those of jobs with a channel here (dropped about a second after their last). */
  Set<TopicPartition> assignment() {
    return assignment;
  }

  @Override
  public void start() {
    running = true;
    thread = PollingThreads.start("reply-tail", this::run);
    try {
      if (!firstReady.await(settings.readyWait().toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("reply tail not ready after {}; job event subscribers get 503 until it is", settings.readyWait());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void stop() {
    running = false;
    PollingThreads.stop(consumer, thread);
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return 0;
  }

  private void run() {
    while (running) {
      Consumer<String, byte[]> current;
      try {
        current = consumers.get();
      } catch (RuntimeException e) {
        log.error("cannot create the reply tail consumer; retrying", e);
        pause();
        continue;
      }
      consumer = current;
      try {
        if (connect(current)) {
          ready = true;
          firstReady.countDown();
          log.info("reply tail ready: it reads those of the {} partitions of {} that hold jobs with subscribers here",
              partitionCount, settings.topic());
          poll(current);
        }
      } catch (WakeupException e) {
        // stop() woke the consumer
      } catch (RuntimeException e) {
        log.error("reply tail failed; failing {} job event channels and starting again at the end", channels.size(), e);
      } finally {
        ready = false;
        consumer = null;
        assignment = Set.of();
        failAll();
        failRequests();
        current.close(CloseOptions.timeout(CLOSE_TIMEOUT));
      }
      if (running) {
        pause();
      }
    }
  }

  /** Learns the topic's partition count; reads nothing until a channel asks for a partition. */
  private boolean connect(Consumer<String, byte[]> current) {
    while (running) {
      try {
        List<PartitionInfo> infos = current.partitionsFor(settings.topic(), METADATA_TIMEOUT);
        if (infos == null || infos.isEmpty()) {
          log.warn("topic {} has no partitions yet; waiting", settings.topic());
          pause();
          continue;
        }
        partitionCount = infos.size();
        current.assign(List.of());
        assignment = Set.of();
        return true;
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        log.warn("reply tail cannot reach Kafka yet: {}", e.getMessage());
      }
    }
    return false;
  }

  private void poll(Consumer<String, byte[]> current) {
    long nextProbe = System.nanoTime() + KafkaReplyStream.PROBE_INTERVAL.toNanos();
    long nextPrune = System.nanoTime() + PRUNE_INTERVAL.toNanos();
    while (running) {
      try {
        serveRequests(current);
        if (System.nanoTime() > nextPrune) {
          prune(current);
          nextPrune = System.nanoTime() + PRUNE_INTERVAL.toNanos();
        }
        if (assignment.isEmpty()) {
          // nothing to read: wait for a channel's request (stop() is seen within one wait)
          PartitionRequest request;
          try {
            request = requests.poll(POLL.toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          if (request != null) {
            serve(current, request);
          }
          continue;
        }
        for (ConsumerRecord<String, byte[]> record : current.poll(POLL)) {
          dispatch(record);
        }
        if (System.nanoTime() > nextProbe) {
          // poll alone goes quiet in an outage; an unanswered request throws TimeoutException: start again
          current.endOffsets(assignment, settings.lostAfter());
          nextProbe = System.nanoTime() + KafkaReplyStream.PROBE_INTERVAL.toNanos();
        }
      } catch (WakeupException e) {
        if (!running) {
          throw e;
        }
        // a channel's request woke the poll: served at the top of the loop
      }
    }
  }

  private void serveRequests(Consumer<String, byte[]> current) {
    PartitionRequest request;
    while ((request = requests.poll()) != null) {
      serve(current, request);
    }
  }

  /**
   * Completes the request with empty if the tail reads the job's partition already (it has every record from
   * its position on), or adds the partition at its end offset and completes with that offset.
   */
  private void serve(Consumer<String, byte[]> current, PartitionRequest request) {
    TopicPartition partition = partitionOf(request.jobId());
    if (assignment.contains(partition)) {
      request.start().complete(OptionalLong.empty());
      return;
    }
    Set<TopicPartition> before = assignment;
    Set<TopicPartition> after = new HashSet<>(before);
    after.add(partition);
    while (true) {
      try {
        current.assign(after);
        current.seekToEnd(List.of(partition));
        long start = current.position(partition, METADATA_TIMEOUT);
        assignment = Set.copyOf(after);
        request.start().complete(OptionalLong.of(start));
        return;
      } catch (WakeupException e) {
        if (!running) {
          throw e;
        }
        // another request's wake-up: measure again
      } catch (RuntimeException e) {
        current.assign(before);
        request.start().completeExceptionally(e);
        return;
      }
    }
  }

  /** Stops reading partitions no channel is on. */
  private void prune(Consumer<String, byte[]> current) {
    if (assignment.isEmpty()) {
      return;
    }
    Set<TopicPartition> wanted = new HashSet<>();
    for (String jobId : channels.keySet()) {
      wanted.add(partitionOf(jobId));
    }
    if (wanted.containsAll(assignment)) {
      return;
    }
    Set<TopicPartition> kept = new HashSet<>(assignment);
    kept.retainAll(wanted);
    current.assign(kept);
    assignment = Set.copyOf(kept);
  }

  private TopicPartition partitionOf(String jobId) {
    return new TopicPartition(settings.topic(), ReplyPartitions.of(jobId, partitionCount));
  }

  private void failRequests() {
    PartitionRequest request;
    while ((request = requests.poll()) != null) {
      request.start().completeExceptionally(unavailable("The gateway lost its connection to Kafka; retry the request."));
    }
  }

  private void dispatch(ConsumerRecord<String, byte[]> record) {
    String jobId = record.key();
    JobChannel channel = jobId == null ? null : channels.get(jobId);
    if (channel == null) {
      return; // nobody subscribes to this job here
    }
    GenerationEvent event;
    try {
      event = Topics.REPLIES.valueSerde().deserializer().deserialize(record.topic(), record.value());
    } catch (SerializationException e) {
      log.warn("undecodable reply for job {} at {}-{}@{}", jobId, record.topic(), record.partition(), record.offset(), e);
      channels.remove(jobId, channel);
      channel.fail(unavailable("The job's reply could not be read."));
      return;
    }
    if (event == null) {
      return;
    }
    try {
      channel.live(event, record.offset());
    } catch (RuntimeException e) { // one job's channel, not the tail and every other job's
      log.error("job {}'s event channel failed", jobId, e);
      channels.remove(jobId, channel);
      channel.fail(unavailable("The job's events cannot be relayed now; try again."));
    }
  }

  private void failAll() {
    channels.forEach((jobId, channel) -> {
      channels.remove(jobId, channel);
      channel.fail(unavailable("The gateway lost its connection to Kafka; retry the request."));
    });
  }

  private ApiException unavailable(String detail) {
    return ApiError.of(ErrorCode.UNAVAILABLE, detail).withRetryAfter(settings.retryAfter()).exception();
  }

  private static void pause() {
    try {
      Thread.sleep(RESTART_BACKOFF.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
