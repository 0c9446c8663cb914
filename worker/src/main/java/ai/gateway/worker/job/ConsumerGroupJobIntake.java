package ai.gateway.worker.job;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.worker.config.KafkaClients;
import ai.gateway.worker.config.TopicsProperties;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.config.WorkerProperties;
import ai.gateway.worker.job.JobHistory.Decision;
import ai.gateway.worker.job.JobHistory.Run;
import ai.gateway.worker.job.JobHistory.Skip;
import io.micrometer.core.instrument.Gauge;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
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
 * The design was chosen by measurement (worker/docs-intake.md): it keeps 2,000 jobs of mixed durations in
 * flight with a few threads, and a long job holds up nothing but the commit position.
 *
 * <p>Jobs run concurrently and finish out of order, so auto-commit is off and each partition commits the
 * lowest offset not yet finished, with the finished records above it in the commit's metadata
 * ({@link PartitionOffsets}): at-least-once, a crash redelivers only the jobs that were unfinished. A job
 * counts as finished once its terminal records are on the broker. At {@code worker.max-in-flight} running
 * jobs the assignment is paused (the consumer keeps polling, so it stays in the group); records already
 * fetched wait in a local backlog. An undecodable record is logged and skipped instead of stopping the loop.
 *
 * <p>A redelivered record is not simply run again: {@link JobHistory}, fed from {@code ai.job-status} by
 * {@link JobStatusReader}, says whether the job already ended (skip it: the first terminal event wins),
 * still runs on a live worker (wait), or lost its worker (run it as the next attempt). A worker killed with
 * {@code kill -9} therefore has its unfinished jobs run as new attempts by the worker that gets its
 * partitions, {@code worker.session-timeout} (plus a rebalance) after the kill.
 */
@Component
final class ConsumerGroupJobIntake implements JobIntake {

  private static final Logger log = LoggerFactory.getLogger(ConsumerGroupJobIntake.class);
  private static final Duration RESTART_DELAY = Duration.ofSeconds(1);
  private static final Duration FLUSH_LIMIT = Duration.ofSeconds(5);
  private static final Duration FORGET_INTERVAL = Duration.ofSeconds(30);

  /** A job's end, reported from any thread, applied on the poll thread. */
  private record Ended(TopicPartition partition, long offset, String jobId, int attempt, boolean recorded) {
  }

  /** A decoded job record not yet finished. */
  private record Pending(TopicPartition partition, long offset, GenerationJob job) {
  }

  private final IntakeSources sources;
  private final String lane;
  private final int maxInFlight;
  private final JobLauncher launcher;
  private final WorkerProperties worker;
  private final JobMetrics metrics;
  private final Clock clock;
  private final JobHistory history;
  private final Deserializer<GenerationJob> jobs = Topics.JOBS.valueSerde().deserializer();
  private final LinkedBlockingQueue<Ended> ended = new LinkedBlockingQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean running;
  private volatile @Nullable Consumer<String, byte[]> consumer;
  private @Nullable Thread thread;

  // poll thread only
  private final Map<TopicPartition, PartitionOffsets> offsets = new HashMap<>();
  private final ArrayDeque<ConsumerRecord<String, byte[]>> backlog = new ArrayDeque<>();
  /** Records of jobs whose attempt runs here or on a live worker, by job id, oldest first. */
  private final Map<String, List<Pending>> waiting = new LinkedHashMap<>();
  private long lastCommitNanos = System.nanoTime();
  private long lastForgetNanos = System.nanoTime();

  @Autowired
  ConsumerGroupJobIntake(KafkaClients clients, JobRunner runner, TopicsProperties topics, WorkerProperties worker,
      WorkerIdentity identity, JobMetrics metrics, Clock clock) {
    this(new IntakeSources(clients::jobConsumer, clients::statusConsumer, topics.jobs(), topics.jobStatus()),
        runner, worker, identity.id(), metrics, clock);
  }

  ConsumerGroupJobIntake(IntakeSources sources, JobLauncher launcher, WorkerProperties worker, String workerId,
      JobMetrics metrics, Clock clock) {
    this(sources, "jobs", worker.maxInFlight(), launcher, worker, workerId, metrics, clock);
  }

  /**
   * An intake of one lane: {@code jobs} ({@code ai.jobs}, {@code worker.max-in-flight}) or {@code batch}
   * ({@code ai.batch-jobs}, {@code worker.batch-max-in-flight}). Each lane has its own consumer, group, thread and
   * in-flight bound, so a full batch lane never holds back an interactive job.
   */
  ConsumerGroupJobIntake(IntakeSources sources, String lane, int maxInFlight, JobLauncher launcher,
      WorkerProperties worker, String workerId, JobMetrics metrics, Clock clock) {
    this.sources = sources;
    this.lane = lane;
    this.maxInFlight = maxInFlight;
    this.launcher = launcher;
    this.worker = worker;
    this.metrics = metrics;
    this.clock = clock;
    this.history = new JobHistory(workerId, worker.leaseDuration());
    Gauge.builder("worker.jobs.in-flight", inFlight, AtomicInteger::get)
        .description("jobs taken from the lane's topic and not yet finished")
        .tag("lane", lane)
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
    Thread loop = new Thread(this::run, "job-intake-" + lane);
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
      // closed in reverse order: the job consumer first, since closing it revokes its partitions, and the
      // revocation callback still uses the status reader
      try (JobStatusReader statuses = new JobStatusReader(sources.statuses().get(), sources.statusTopic(), history,
              worker.statusLookback(), clock);
          Consumer<String, byte[]> kafka = sources.jobs().get()) {
        consumer = kafka;
        consume(kafka, statuses);
        drain(kafka);
      } catch (RuntimeException e) {
        log.error("job intake failed; restarting in {}", RESTART_DELAY, e);
        offsets.clear();
        backlog.clear();
        waiting.clear();
        pauseBeforeRestart();
      } finally {
        consumer = null;
      }
    }
  }

  private void consume(Consumer<String, byte[]> kafka, JobStatusReader statuses) {
    kafka.subscribe(List.of(sources.jobsTopic()), new Rebalance(kafka, statuses));
    while (running) {
      try {
        // when full, the next event that matters is a job's end, not a record: wait for that below
        for (ConsumerRecord<String, byte[]> record : kafka.poll(full() ? Duration.ZERO : worker.pollTimeout())) {
          offsetsOf(new TopicPartition(record.topic(), record.partition())).fetched(record.offset());
          backlog.add(record);
        }
      } catch (WakeupException e) {
        continue; // stop() woke us: the loop condition decides
      }
      statuses.poll();
      if (full()) {
        awaitEnd();
      }
      applyEnded();
      reviewWaiting();
      dispatchBacklog();
      flowControl(kafka);
      commit(kafka);
      forgetOldJobs();
    }
  }

  /** Graceful stop: take nothing new, give running jobs the grace period, commit what finished. */
  private void drain(Consumer<String, byte[]> kafka) {
    backlog.clear(); // fetched but not started: left uncommitted, so redelivered
    waiting.clear(); // likewise
    kafka.pause(kafka.assignment());
    long deadline = System.nanoTime() + worker.shutdownGrace().toNanos();
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      try {
        kafka.poll(worker.pollTimeout()); // paused: returns nothing, keeps the membership alive
      } catch (WakeupException e) {
        // already stopping
      }
      applyEnded();
      commit(kafka);
    }
    applyEnded();
    if (inFlight.get() > 0) {
      log.warn("stopping with {} jobs still running; they will be redelivered", inFlight.get());
    }
    commitSync(kafka, offsets.keySet());
  }

  private boolean full() {
    return inFlight.get() >= maxInFlight;
  }

  /** Waits (at most a poll timeout) for a running job to end, so a freed slot is refilled at once. */
  private void awaitEnd() {
    try {
      Ended end = ended.poll(worker.pollTimeout().toMillis(), TimeUnit.MILLISECONDS);
      if (end != null) {
        apply(end);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private void dispatchBacklog() {
    while (!backlog.isEmpty() && !full()) {
      dispatch(backlog.poll());
    }
  }

  private void dispatch(ConsumerRecord<String, byte[]> record) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    PartitionOffsets partitionOffsets = offsetsOf(partition);
    if (partitionOffsets.finishedEarlier(record.offset())) {
      // the previous owner's last commit listed it as finished: redelivered only because an older job was not
      partitionOffsets.finished(record.offset());
      metrics.redelivered("finished-before");
      return;
    }
    GenerationJob job;
    try {
      job = jobs.deserialize(record.topic(), record.value());
    } catch (SerializationException e) {
      // never the payload: it holds the prompt
      log.warn("skipping undecodable job record {}@{} ({}: {})", partition, record.offset(),
          e.getCause() == null ? e.getClass().getSimpleName() : e.getCause().getClass().getSimpleName(), e.getMessage());
      partitionOffsets.finished(record.offset());
      return;
    }
    if (job == null) {
      partitionOffsets.finished(record.offset()); // a tombstone is no job
      return;
    }
    decide(new Pending(partition, record.offset(), job));
  }

  private void decide(Pending pending) {
    Decision decision = history.decide(pending.job(), clock.instant());
    if (decision instanceof Run run) {
      launch(pending, run.attempt());
    } else if (decision instanceof Skip skip) {
      skip(pending, skip);
    } else {
      log.debug("an attempt of job {} still runs ({}); its record {}@{} waits for that attempt's end or lease",
          pending.job().getJobId(), decision, pending.partition(), pending.offset());
      metrics.redelivered("waiting");
      waiting.computeIfAbsent(pending.job().getJobId(), id -> new ArrayList<>()).add(pending);
    }
  }

  /** Records of jobs that were running elsewhere: run them once their lease lapses, skip them once they end. */
  private void reviewWaiting() {
    Iterator<List<Pending>> jobsWaiting = waiting.values().iterator();
    while (jobsWaiting.hasNext() && !full()) {
      List<Pending> records = jobsWaiting.next();
      Decision decision = history.decide(records.get(0).job(), clock.instant());
      if (decision instanceof Skip skip) {
        records.forEach(pending -> skip(pending, skip));
        jobsWaiting.remove();
      } else if (decision instanceof Run run) {
        launch(records.remove(0), run.attempt()); // later duplicates wait for this attempt
        if (records.isEmpty()) {
          jobsWaiting.remove();
        }
      }
    }
  }

  private void skip(Pending pending, Skip skip) {
    // debug: after a crash there can be thousands; worker.jobs.redelivered counts them
    log.debug("job {} already ended (attempt {}); its record {}@{} is not run again", pending.job().getJobId(),
        skip.endedAttempt(), pending.partition(), pending.offset());
    metrics.redelivered("ended-before");
    PartitionOffsets partitionOffsets = offsets.get(pending.partition());
    if (partitionOffsets != null) {
      partitionOffsets.finished(pending.offset());
    }
  }

  private void launch(Pending pending, int attempt) {
    GenerationJob job = pending.job();
    if (attempt != job.getDelivery()) {
      if (attempt > Math.max(1, job.getDelivery())) {
        log.info("job {}: attempt {} lost its worker; running it as attempt {}", job.getJobId(), attempt - 1, attempt);
        metrics.redelivered("new-attempt");
      }
      job = GenerationJob.newBuilder(job).setDelivery(attempt).build();
    }
    String jobId = job.getJobId();
    history.startedHere(jobId, attempt, clock.instant());
    inFlight.incrementAndGet();
    CompletableFuture<Void> finished;
    try {
      finished = launcher.start(job);
    } catch (RuntimeException e) {
      log.error("job {} could not be started", jobId, e);
      finished = CompletableFuture.failedFuture(e);
    }
    finished.whenComplete((ok, error) -> ended.add(new Ended(pending.partition(), pending.offset(), jobId, attempt,
        error == null)));
  }

  private void applyEnded() {
    Ended end;
    while ((end = ended.poll()) != null) {
      apply(end);
    }
  }

  private void apply(Ended end) {
    inFlight.decrementAndGet();
    history.endedHere(end.jobId(), end.attempt(), end.recorded(), clock.instant());
    PartitionOffsets partition = offsets.get(end.partition());
    if (partition == null) {
      return; // revoked meanwhile: the new owner reads the terminal status and skips the job
    }
    if (end.recorded()) {
      partition.finished(end.offset());
    } else {
      // its records may be lost: keep the offset uncommitted, so a restart or rebalance redelivers it
      log.error("job at {}@{} ended without all its records on Kafka; its offset stays uncommitted",
          end.partition(), end.offset());
    }
  }

  private void flowControl(Consumer<String, byte[]> kafka) {
    if (full() || !backlog.isEmpty()) {
      kafka.pause(kafka.assignment());
    } else if (!kafka.paused().isEmpty()) {
      kafka.resume(kafka.paused());
    }
  }

  private void commit(Consumer<String, byte[]> kafka) {
    long now = System.nanoTime();
    if (now - lastCommitNanos < worker.commitInterval().toNanos()) {
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
          partitionOffsets.markCommitted(position.offset(), position.metadata());
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
      positions.forEach((partition, position) -> offsets.get(partition).markCommitted(position.offset(),
          position.metadata()));
    } catch (RuntimeException e) {
      log.warn("offset commit failed; the jobs since the last commit will be redelivered: {}", e.toString());
    }
  }

  private Map<TopicPartition, OffsetAndMetadata> positions(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> positions = new HashMap<>();
    for (TopicPartition partition : partitions) {
      PartitionOffsets partitionOffsets = offsets.get(partition);
      if (partitionOffsets != null && partitionOffsets.hasNewPosition()) {
        positions.put(partition, new OffsetAndMetadata(partitionOffsets.position(), partitionOffsets.metadata()));
      }
    }
    return positions;
  }

  private PartitionOffsets offsetsOf(TopicPartition partition) {
    return offsets.computeIfAbsent(partition, p -> new PartitionOffsets());
  }

  private void forgetOldJobs() {
    long now = System.nanoTime();
    if (now - lastForgetNanos >= FORGET_INTERVAL.toNanos()) {
      lastForgetNanos = now;
      history.forgetBefore(clock.instant().minus(worker.statusLookback()));
    }
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
    private final JobStatusReader statuses;

    Rebalance(Consumer<String, byte[]> kafka, JobStatusReader statuses) {
      this.kafka = kafka;
      this.statuses = statuses;
    }

    /**
     * Jobs of these partitions still running here go on and report their end on {@code ai.job-status}; the new
     * owner waits for it (their leases stay alive). Their RUNNING records are flushed first, so that the new
     * owner, which reads the statuses when it is assigned the partitions, cannot miss one and start a job twice.
     */
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      applyEnded();
      try {
        launcher.flush().get(FLUSH_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        log.warn("status records not flushed before handing partitions over: {}", e.toString());
      }
      commitSync(kafka, partitions);
      forget(partitions);
      statuses.unfollow(partitions, jobPartitionCount());
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      forget(partitions);
      statuses.unfollow(partitions, jobPartitionCount());
    }

    /** Restores what the previous owner committed, then reads the partitions' statuses before any job runs. */
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      Map<TopicPartition, OffsetAndMetadata> committed;
      try {
        committed = kafka.committed(new HashSet<>(partitions), Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        log.warn("cannot read the committed offsets of {}: {}", partitions, e.toString());
        committed = Map.of();
      }
      for (TopicPartition partition : partitions) {
        OffsetAndMetadata position = committed.get(partition);
        offsets.put(partition, position == null ? new PartitionOffsets()
            : PartitionOffsets.restored(position.offset(), position.metadata()));
      }
      statuses.follow(partitions, jobPartitionCount());
    }

    private int jobPartitionCount() {
      List<PartitionInfo> infos = kafka.partitionsFor(sources.jobsTopic());
      return infos == null ? 0 : infos.size();
    }

    private void forget(Collection<TopicPartition> partitions) {
      partitions.forEach(offsets::remove);
      backlog.removeIf(record -> partitions.contains(new TopicPartition(record.topic(), record.partition())));
      waiting.values().removeIf(records -> {
        records.removeIf(pending -> partitions.contains(pending.partition()));
        return records.isEmpty();
      });
    }
  }
}
