package ai.gateway.worker.job;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.worker.config.KafkaClients;
import ai.gateway.worker.config.TopicsProperties;
import ai.gateway.worker.config.WorkerProperties;
import io.micrometer.core.instrument.Gauge;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Takes jobs from {@code ai.jobs} as a consumer-group member, on one thread that alone touches the consumer.
 *
 * <p>Jobs run concurrently and finish out of order, so auto-commit is off and each partition commits the
 * lowest offset not yet finished ({@link PartitionOffsets}): at-least-once, a crash redelivers at most the
 * jobs that were in flight. A job counts as finished once its terminal records are on the broker.
 * At {@code worker.max-in-flight} running jobs the assignment is paused (the consumer keeps polling, so it
 * stays in the group); records already fetched wait in a local backlog. An undecodable record is logged
 * and skipped instead of stopping the loop.
 */
@Component
final class ConsumerGroupJobIntake implements JobIntake {

  private static final Logger log = LoggerFactory.getLogger(ConsumerGroupJobIntake.class);
  private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

  /** A job's end, reported from any thread, applied on the poll thread. */
  private record Ended(TopicPartition partition, long offset, boolean recorded) {
  }

  private final Supplier<Consumer<String, byte[]>> consumers;
  private final Function<GenerationJob, CompletableFuture<Void>> runner;
  private final String topic;
  private final WorkerProperties worker;
  private final Deserializer<GenerationJob> jobs = Topics.JOBS.valueSerde().deserializer();
  private final ConcurrentLinkedQueue<Ended> ended = new ConcurrentLinkedQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean running;
  private volatile @Nullable Consumer<String, byte[]> consumer;
  private @Nullable Thread thread;

  // poll thread only
  private final Map<TopicPartition, PartitionOffsets> offsets = new HashMap<>();
  private final ArrayDeque<ConsumerRecord<String, byte[]>> backlog = new ArrayDeque<>();
  private long lastCommitNanos = System.nanoTime();

  @Autowired
  ConsumerGroupJobIntake(KafkaClients clients, JobRunner runner, TopicsProperties topics, WorkerProperties worker,
      JobMetrics metrics) {
    this(clients::jobConsumer, runner::start, topics.jobs(), worker, metrics);
  }

  ConsumerGroupJobIntake(Supplier<Consumer<String, byte[]>> consumers,
      Function<GenerationJob, CompletableFuture<Void>> runner, String topic, WorkerProperties worker,
      JobMetrics metrics) {
    this.consumers = consumers;
    this.runner = runner;
    this.topic = topic;
    this.worker = worker;
    Gauge.builder("worker.jobs.in-flight", inFlight, AtomicInteger::get)
        .description("jobs taken from ai.jobs and not yet finished")
        .register(metrics.registry());
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    Thread loop = new Thread(this::run, "job-intake");
    loop.setDaemon(true);
    loop.start();
    thread = loop;
  }

  @Override
  public void stop() {
    Thread loop;
    synchronized (this) {
      if (!running) {
        return;
      }
      running = false;
      loop = thread;
    }
    Consumer<String, byte[]> current = consumer;
    if (current != null) {
      current.wakeup();
    }
    if (loop != null) {
      try {
        loop.join(worker.shutdownGrace().plusSeconds(10).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Started after the control listener (so cancels are heard from the first job), stopped before it. */
  @Override
  public int getPhase() {
    return DEFAULT_PHASE - 200;
  }

  private void run() {
    while (running) {
      try (Consumer<String, byte[]> kafka = consumers.get()) {
        consumer = kafka;
        consume(kafka);
        drain(kafka);
      } catch (RuntimeException e) {
        log.error("job intake failed; restarting in {}", RESTART_DELAY, e);
        offsets.clear();
        backlog.clear();
        pauseBeforeRestart();
      } finally {
        consumer = null;
      }
    }
  }

  private void consume(Consumer<String, byte[]> kafka) {
    kafka.subscribe(List.of(topic), new Rebalance(kafka));
    while (running) {
      try {
        for (ConsumerRecord<String, byte[]> record : kafka.poll(worker.pollTimeout())) {
          offsetsOf(new TopicPartition(record.topic(), record.partition())).fetched(record.offset());
          backlog.add(record);
        }
      } catch (WakeupException e) {
        continue; // stop() woke us: the loop condition decides
      }
      applyEnded();
      dispatchBacklog();
      flowControl(kafka);
      commit(kafka, false);
    }
  }

  /** Graceful stop: take nothing new, give running jobs the grace period, commit what finished. */
  private void drain(Consumer<String, byte[]> kafka) {
    backlog.clear(); // fetched but not started: left uncommitted, so redelivered
    kafka.pause(kafka.assignment());
    long deadline = System.nanoTime() + worker.shutdownGrace().toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        kafka.poll(worker.pollTimeout()); // paused: returns nothing, keeps the membership alive
      } catch (WakeupException e) {
        // already stopping
      }
      applyEnded();
      commit(kafka, false);
    }
    applyEnded();
    if (inFlight.get() > 0) {
      log.warn("stopping with {} jobs still running; they will be redelivered", inFlight.get());
    }
    commitSync(kafka, offsets.keySet());
  }

  private void dispatchBacklog() {
    while (!backlog.isEmpty() && inFlight.get() < worker.maxInFlight()) {
      dispatch(backlog.poll());
    }
  }

  private void dispatch(ConsumerRecord<String, byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    GenerationJob job;
    try {
      job = jobs.deserialize(record.topic(), record.value());
    } catch (SerializationException e) {
      // never the payload: it holds the prompt
      log.warn("skipping undecodable job record {}@{} ({}: {})", partition, record.offset(),
          e.getCause() == null ? e.getClass().getSimpleName() : e.getCause().getClass().getSimpleName(), e.getMessage());
      offsetsOf(partition).finished(record.offset());
      return;
    }
    if (job == null) {
      offsetsOf(partition).finished(record.offset()); // a tombstone is no job
      return;
    }
    inFlight.incrementAndGet();
    CompletableFuture<Void> finished;
    try {
      finished = runner.apply(job);
    } catch (RuntimeException e) {
      log.error("job {} could not be started", job.getJobId(), e);
      finished = CompletableFuture.failedFuture(e);
    }
    finished.whenComplete((ok, error) -> ended.add(new Ended(partition, record.offset(), error == null)));
  }

  private void applyEnded() {
    Ended end;
    while ((end = ended.poll()) != null) {
      inFlight.decrementAndGet();
      PartitionOffsets partition = offsets.get(end.partition());
      if (partition == null) {
        continue; // revoked meanwhile: the new owner redoes it
      }
      if (end.recorded()) {
        partition.finished(end.offset());
      } else {
        // its records may be lost: keep the offset uncommitted, so a restart or rebalance redelivers it
        log.error("job at {}@{} ended without all its records on Kafka; its offset stays uncommitted",
            end.partition(), end.offset());
      }
    }
  }

  private void flowControl(Consumer<String, byte[]> kafka) {
    boolean full = inFlight.get() >= worker.maxInFlight() || !backlog.isEmpty();
    if (full) {
      kafka.pause(kafka.assignment());
    } else if (!kafka.paused().isEmpty()) {
      kafka.resume(kafka.paused());
    }
  }

  private void commit(Consumer<String, byte[]> kafka, boolean force) {
    long now = System.nanoTime();
    if (!force && now - lastCommitNanos < worker.commitInterval().toNanos()) {
      return;
    }
    lastCommitNanos = now;
    Map<TopicPartition, OffsetAndMetadata> positions = positions(offsets.keySet());
    if (positions.isEmpty()) {
      return;
    }
    kafka.commitAsync(positions, (committed, error) -> {
      if (error != null) {
        log.warn("offset commit failed (retried at the next interval): {}", error.toString());
        return;
      }
      committed.forEach((partition, position) -> {
        PartitionOffsets partitionOffsets = offsets.get(partition);
        if (partitionOffsets != null) {
          partitionOffsets.markCommitted(position.offset());
        }
      });
    });
  }

  private void commitSync(Consumer<String, byte[]> kafka, Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> positions = positions(partitions);
    if (positions.isEmpty()) {
      return;
    }
    try {
      kafka.commitSync(positions, Duration.ofSeconds(5));
      positions.forEach((partition, position) -> offsets.get(partition).markCommitted(position.offset()));
    } catch (RuntimeException e) {
      log.warn("offset commit failed; the jobs since the last commit will be redelivered: {}", e.toString());
    }
  }

  private Map<TopicPartition, OffsetAndMetadata> positions(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
    for (TopicPartition partition : partitions) {
      PartitionOffsets partitionOffsets = offsets.get(partition);
      if (partitionOffsets != null && partitionOffsets.hasNewPosition()) {
        positions.put(partition, new OffsetAndMetadata(partitionOffsets.position()));
      }
    }
    return positions;
  }

  private PartitionOffsets offsetsOf(TopicPartition partition) {
    return offsets.computeIfAbsent(partition, p -> new PartitionOffsets());
  }

  private void pauseBeforeRestart() {
    try {
      Thread.sleep(RESTART_DELAY.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** Runs inside poll(), on the poll thread. */
  private final class Rebalance implements ConsumerRebalanceListener {

    private final Consumer<String, byte[]> kafka;

    Rebalance(Consumer<String, byte[]> kafka) {
      this.kafka = kafka;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      applyEnded();
      commitSync(kafka, partitions);
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      partitions.forEach(ConsumerGroupJobIntake.this::offsetsOf);
    }

    /** Jobs of these partitions still running here go on; the new owner starts them again (part 2: leases). */
    private void forget(Collection<TopicPartition> partitions) {
      partitions.forEach(offsets::remove);
      backlog.removeIf(record -> partitions.contains(new TopicPartition(record.topic(), record.partition())));
    }
  }
}
