package ai.gateway.api.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * {@link ReplyStream} on one {@code KafkaConsumer} and one dedicated thread. The consumer has no group: it
 * {@code assign()}s the one partition of {@code ai.replies} this instance claimed ({@link PartitionClaims})
 * and starts at its end, because a gateway only cares about replies to jobs it publishes from now on, and
 * the dispatcher makes job ids whose key lands on that partition ({@link #routesHere}). So an instance reads
 * its own replies (and a co-tenant's, when every partition is held), never the whole topic, and no group
 * rebalance ever moves another instance's partition. Records are decoded only when someone listens to their
 * job id; the rest are skipped.
 *
 * <p>The partition count is read once at start and must not change while the instance runs: job ids were
 * made for it, and workers' replies would land elsewhere. A change is checked every {@code checkInterval};
 * it makes the instance unready for good (new jobs are refused, readiness goes down) instead of losing
 * replies; a restart adopts the new count.
 *
 * <p>A consumer does not notice a broker outage by itself: {@code poll()} just returns nothing. So every
 * {@link #PROBE_INTERVAL} the poll thread asks the partition's leader for its end offset; when that gets no
 * answer within {@code lostAfter}, Kafka counts as lost: every live job fails at once with a retryable
 * {@code UNAVAILABLE} (a stream ends with an {@code error} event instead of waiting for its deadline), the
 * instance is not ready (new jobs are refused with 503 at once), and the consumer is made again, which
 * becomes ready when the broker answers: recovery needs no restart.
 */
final class KafkaReplyStream implements ReplyStream, SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(KafkaReplyStream.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration RESTART_BACKOFF = Duration.ofSeconds(1);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);
  static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

  private final Map<String, Sinks.Many<GenerationEvent>> listeners = new ConcurrentHashMap<>();
  private final Supplier<Consumer<String, byte[]>> consumers;
  private final PartitionClaims claims;
  private final JobReplays replays;
  private final String topic;
  private final int bufferSize;
  private final Duration readyWait;
  private final Duration retryAfter;
  private final Duration checkInterval;
  private final Duration lostAfter;
  private final CountDownLatch firstReady = new CountDownLatch(1);
  private final AtomicLong recordsRead = new AtomicLong();

  private volatile boolean running;
  private volatile boolean ready;
  private volatile boolean partitionCountChanged;
  private volatile int partitionCount;
  private volatile int claimed = -1;
  private volatile @Nullable Consumer<String, byte[]> consumer;
  private volatile Set<TopicPartition> assignment = Set.of();
  private @Nullable Thread thread;

  /**
   * The reply consumer's settings, apart from how it is made.
   *
   * @param lostAfter how long the reply partition's leader may leave an end-offset request unanswered before
   *                  Kafka counts as lost
   */
  /** {@code retryAfter}: sent with the {@code UNAVAILABLE} of a failed listener, as a failed publish sends it. */
  record Settings(String topic, int bufferSize, Duration readyWait, Duration checkInterval, Duration lostAfter,
                  Duration retryAfter) {
  }

  KafkaReplyStream(Supplier<Consumer<String, byte[]>> consumers, PartitionClaims claims, JobReplays replays, Settings settings) {
    this.consumers = consumers;
    this.claims = claims;
    this.replays = replays;
    this.topic = settings.topic();
    this.bufferSize = settings.bufferSize();
    this.readyWait = settings.readyWait();
    this.retryAfter = settings.retryAfter();
    this.checkInterval = settings.checkInterval();
    this.lostAfter = settings.lostAfter();
  }

  @Override
  public Flux<GenerationEvent> events(String jobId) {
    return Flux.defer(() -> {
      Sinks.Many<GenerationEvent> sink = Sinks.many().unicast()
          .onBackpressureBuffer(Queues.<GenerationEvent>get(bufferSize).get());
      if (listeners.putIfAbsent(jobId, sink) != null) {
        return Flux.error(new IllegalStateException("job " + jobId + " already has a listener"));
      }
      return sink.asFlux().doFinally(signal -> listeners.remove(jobId, sink));
    });
  }

  @Override
  public boolean ready() {
    return ready && !partitionCountChanged;
  }

  @Override
  public boolean routesHere(String jobId) {
    int count = partitionCount;
    int partition = claimed;
    return count > 0 && partition >= 0 && ReplyPartitions.of(jobId, count) == partition;
  }

  @Override
  public Flux<GenerationEvent> replay(String jobId, Instant createdAt, @Nullable EventPosition after) {
    return replays.replay(jobId, createdAt, after);
  }

  /** Why {@link #ready()} is false, for the health endpoint. */
  String notReadyReason() {
    return partitionCountChanged
        ? "the partition count of the reply topic changed while running; restart the instance"
        : "reply consumer has no partition or position on the reply topic";
  }

  int listenerCount() {
    return listeners.size();
  }

  /** The partitions the reply consumer reads (one), for tests and diagnostics. */
  Set<TopicPartition> assignment() {
    return assignment;
  }

  /** Records the reply consumer has polled, whoever they were for. */
  long recordsRead() {
    return recordsRead.get();
  }

  @Override
  public void start() {
    running = true;
    thread = PollingThreads.start("reply-stream", this::run);
    try {
      // Waiting here means the port opens with positions known in the normal case; readiness covers the rest.
      if (!firstReady.await(readyWait.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("reply consumer not ready after {}; readiness stays down until it is", readyWait);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void stop() {
    running = false;
    PollingThreads.stop(consumer, thread);
    // After the consumer: no reply of a job this instance still relayed is missed for the lease's sake.
    claims.release();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Early: positions are resolved before the web server opens, and the consumer outlives it at shutdown. */
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
        log.error("cannot create the reply consumer; retrying", e);
        pause(RESTART_BACKOFF);
        continue;
      }
      consumer = current;
      try {
        Set<TopicPartition> assigned = assignAtEnd(current);
        if (!assigned.isEmpty()) {
          ready = true;
          firstReady.countDown();
          log.info("reply consumer ready on {}", assigned);
          poll(current);
        }
      } catch (WakeupException e) {
        // stop() woke the consumer
      } catch (KafkaLost e) {
        log.error("Kafka did not answer the reply consumer for {}: failing {} live jobs with UNAVAILABLE; not ready "
            + "until the broker answers again", lostAfter, listeners.size());
      } catch (RuntimeException e) {
        log.error("reply consumer failed; restarting it", e);
      } finally {
        ready = false;
        consumer = null;
        assignment = Set.of();
        // Replies that arrive while no consumer runs are lost to their listeners: fail them now, not at their deadline.
        failAll();
        if (running) {
          log.info("reply consumer stopped; making a new one");
        }
        current.close(CloseOptions.timeout(CLOSE_TIMEOUT));
      }
      if (running) {
        pause(RESTART_BACKOFF);
      }
    }
  }

  /** Claims a partition on the first run (keeps it on a restart of the consumer), assigns it and seeks to its end. */
  private Set<TopicPartition> assignAtEnd(Consumer<String, byte[]> current) {
    while (running) {
      try {
        int count = partitionsOf(current, METADATA_TIMEOUT);
        if (count == 0) {
          log.warn("topic {} has no partitions yet; waiting", topic);
          pause(RESTART_BACKOFF);
          continue;
        }
        if (claimed < 0) {
          int partition = claims.claim(count);
          partitionCount = count;
          claimed = partition;
        } else if (count != partitionCount) {
          partitionCountChanged(count);
        }
        List<TopicPartition> partitions = List.of(new TopicPartition(topic, claimed));
        current.assign(partitions);
        current.seekToEnd(partitions);
        current.position(partitions.get(0), METADATA_TIMEOUT); // resolves the end offset now, not at the first poll
        assignment = Set.copyOf(partitions);
        return assignment;
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        log.warn("reply consumer cannot reach Kafka yet: {}", e.getMessage());
      } catch (WakeupException e) {
        throw e;
      } catch (RuntimeException e) {
        log.warn("cannot claim a partition of the reply topic yet: {}", e.toString());
        pause(RESTART_BACKOFF);
      }
    }
    return Set.of();
  }

  private void poll(Consumer<String, byte[]> current) {
    long nextCheck = System.nanoTime() + checkInterval.toNanos();
    long nextProbe = System.nanoTime() + PROBE_INTERVAL.toNanos();
    while (running) {
      ConsumerRecords<String, byte[]> records = current.poll(POLL);
      recordsRead.addAndGet(records.count());
      for (ConsumerRecord<String, byte[]> record : records) {
        dispatch(record);
      }
      if (System.nanoTime() > nextCheck) {
        nextCheck = System.nanoTime() + checkInterval.toNanos();
        checkPartitionCount(current);
      }
      if (System.nanoTime() > nextProbe) {
        probe(current);
        nextProbe = System.nanoTime() + PROBE_INTERVAL.toNanos();
      }
    }
  }

  /** A request to the partition's leader (poll alone goes quiet in an outage); no answer within {@code lostAfter}: Kafka is lost. */
  private void probe(Consumer<String, byte[]> current) {
    try {
      current.endOffsets(assignment, lostAfter);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new KafkaLost(e);
    }
  }

  /** The broker did not answer in time. */
  private static final class KafkaLost extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KafkaLost(Throwable cause) {
      super(cause);
    }
  }

  /** Also a request to the broker once the metadata is older than its max age: unanswered within {@code lostAfter}, Kafka is lost. */
  private void checkPartitionCount(Consumer<String, byte[]> current) {
    try {
      int count = partitionsOf(current, lostAfter);
      if (count > 0 && count != partitionCount) {
        partitionCountChanged(count);
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new KafkaLost(e);
    }
  }

  /**
   * Job ids made from now on would be made for the wrong count, and replies to jobs in flight may land on a
   * partition nobody reads: refuse new work rather than lose replies. Jobs already running keep their listeners.
   */
  private void partitionCountChanged(int count) {
    if (!partitionCountChanged) {
      partitionCountChanged = true;
      log.error("the reply topic {} changed from {} to {} partitions while running; this instance refuses new jobs "
          + "and reports not ready until it restarts (ai.replies' partition count must stay fixed)", topic, partitionCount, count);
    }
  }

  private int partitionsOf(Consumer<String, byte[]> current, Duration timeout) {
    List<PartitionInfo> infos = current.partitionsFor(topic, timeout);
    return infos == null ? 0 : infos.size();
  }

  private void dispatch(ConsumerRecord<String, byte[]> record) {
    String jobId = record.key();
    Sinks.Many<GenerationEvent> sink = jobId == null ? null : listeners.get(jobId);
    if (sink == null) {
      return; // not ours, or its client is gone
    }
    GenerationEvent event;
    try {
      event = Topics.REPLIES.valueSerde().deserializer().deserialize(record.topic(), record.value());
    } catch (SerializationException e) {
      log.warn("undecodable reply for job {} at {}-{}@{}", jobId, record.topic(), record.partition(), record.offset(), e);
      fail(jobId, sink, "The job's reply could not be read.");
      return;
    }
    if (event == null) {
      return;
    }
    Sinks.EmitResult result = sink.tryEmitNext(event);
    if (result == Sinks.EmitResult.FAIL_OVERFLOW) {
      fail(jobId, sink, "The client did not read the stream fast enough.");
    } else if (result.isFailure()) {
      listeners.remove(jobId, sink);
    } else if (event.getType() == GenerationEventType.DONE || event.getType() == GenerationEventType.ERROR) {
      listeners.remove(jobId, sink);
      sink.tryEmitComplete();
    }
  }

  private void fail(String jobId, Sinks.Many<GenerationEvent> sink, String detail) {
    listeners.remove(jobId, sink);
    sink.tryEmitError(ApiError.of(ErrorCode.UNAVAILABLE, detail).withRetryAfter(retryAfter).exception());
  }

  private void failAll() {
    listeners.forEach((jobId, sink) -> fail(jobId, sink, "The gateway lost its connection to Kafka; retry the request."));
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
