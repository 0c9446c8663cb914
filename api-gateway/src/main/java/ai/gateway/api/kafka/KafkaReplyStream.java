package ai.gateway.api.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
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
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * {@link ReplyStream} on one {@code KafkaConsumer} and one dedicated thread. The consumer has no group:
 * it {@code assign()}s every partition of {@code ai.replies} and starts at the end, because a gateway
 * only cares about replies to jobs it publishes from now on. Records are decoded only when someone
 * listens to their job id; the rest are skipped.
 *
 * <p>Every instance reads every reply, which is fine for one gateway; part 2 routes replies per instance
 * behind the same port.
 */
final class KafkaReplyStream implements ReplyStream, SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(KafkaReplyStream.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration PARTITION_REFRESH = Duration.ofSeconds(30);
  private static final Duration RESTART_BACKOFF = Duration.ofSeconds(1);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(2);

  private final Map<String, Sinks.Many<GenerationEvent>> listeners = new ConcurrentHashMap<>();
  private final Supplier<Consumer<String, byte[]>> consumers;
  private final String topic;
  private final int bufferSize;
  private final Duration readyWait;
  private final CountDownLatch firstReady = new CountDownLatch(1);

  private volatile boolean running;
  private volatile boolean ready;
  private volatile @Nullable Consumer<String, byte[]> consumer;
  private @Nullable Thread thread;

  KafkaReplyStream(Supplier<Consumer<String, byte[]>> consumers, String topic, int bufferSize, Duration readyWait) {
    this.consumers = consumers;
    this.topic = topic;
    this.bufferSize = bufferSize;
    this.readyWait = readyWait;
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
    return ready;
  }

  int listenerCount() {
    return listeners.size();
  }

  @Override
  public void start() {
    running = true;
    Thread poller = new Thread(this::run, "reply-stream");
    poller.setDaemon(true);
    poller.start();
    thread = poller;
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
    Consumer<String, byte[]> current = consumer;
    if (current != null) {
      current.wakeup();
    }
    Thread poller = thread;
    if (poller != null) {
      try {
        poller.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
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
          log.info("reply consumer ready on {} partitions of {}", assigned.size(), topic);
          poll(current, assigned);
        }
      } catch (WakeupException e) {
        // stop() woke the consumer
      } catch (RuntimeException e) {
        log.error("reply consumer failed; restarting it", e);
      } finally {
        ready = false;
        consumer = null;
        // Replies that arrive while no consumer runs are lost to their listeners: fail them now, not at their deadline.
        failAll();
        current.close(CloseOptions.timeout(CLOSE_TIMEOUT));
      }
      if (running) {
        pause(RESTART_BACKOFF);
      }
    }
  }

  private Set<TopicPartition> assignAtEnd(Consumer<String, byte[]> current) {
    while (running) {
      try {
        List<TopicPartition> partitions = partitionsOf(current);
        if (partitions.isEmpty()) {
          log.warn("topic {} has no partitions yet; waiting", topic);
          pause(RESTART_BACKOFF);
          continue;
        }
        current.assign(partitions);
        current.seekToEnd(partitions);
        for (TopicPartition partition : partitions) {
          current.position(partition, METADATA_TIMEOUT); // resolves the end offset now, not at the first poll
        }
        return new HashSet<>(partitions);
      } catch (org.apache.kafka.common.errors.TimeoutException e) {
        log.warn("reply consumer cannot reach Kafka yet: {}", e.getMessage());
      }
    }
    return Set.of();
  }

  private void poll(Consumer<String, byte[]> current, Set<TopicPartition> assigned) {
    long nextRefresh = System.nanoTime() + PARTITION_REFRESH.toNanos();
    while (running) {
      for (ConsumerRecord<String, byte[]> record : current.poll(POLL)) {
        dispatch(record);
      }
      if (System.nanoTime() > nextRefresh) {
        nextRefresh = System.nanoTime() + PARTITION_REFRESH.toNanos();
        addNewPartitions(current, assigned);
      }
    }
  }

  /** Partitions added to the topic later start empty: read them from the beginning. */
  private void addNewPartitions(Consumer<String, byte[]> current, Set<TopicPartition> assigned) {
    try {
      List<TopicPartition> added = partitionsOf(current).stream().filter(p -> !assigned.contains(p)).toList();
      if (!added.isEmpty()) {
        assigned.addAll(added);
        current.assign(new ArrayList<>(assigned));
        current.seekToBeginning(added);
        log.info("reply consumer now also reads {} new partitions", added.size());
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      log.debug("partition refresh timed out: {}", e.getMessage());
    }
  }

  private List<TopicPartition> partitionsOf(Consumer<String, byte[]> current) {
    List<PartitionInfo> infos = current.partitionsFor(topic, METADATA_TIMEOUT);
    return infos == null ? List.of() : infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
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
    sink.tryEmitError(ApiError.of(ErrorCode.UNAVAILABLE, detail).exception());
  }

  private void failAll() {
    listeners.forEach((jobId, sink) -> fail(jobId, sink, "The gateway lost its connection to the reply topic."));
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
