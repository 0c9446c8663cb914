package ai.gateway.worker.job;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobControlAction;
import ai.gateway.worker.config.KafkaClients;
import ai.gateway.worker.config.TopicsProperties;
import ai.gateway.worker.config.WorkerProperties;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Reads all of {@code ai.job-control} on every worker: a job may run on any instance, so there is no
 * consumer group; every partition is assigned by hand, from the end (cancels of the past concern jobs that
 * ended or that {@link RecentCancels} cannot know anyway). A CANCEL stops the job's provider call within one
 * poll interval.
 */
@Component
final class JobControlListener implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(JobControlListener.class);
  private static final Duration PARTITION_REFRESH = Duration.ofSeconds(30);
  private static final Duration READY_WAIT = Duration.ofSeconds(15);

  private final KafkaClients clients;
  private final JobRunner runner;
  private final String topic;
  private final WorkerProperties worker;
  private final Deserializer<JobControl> controls = Topics.JOB_CONTROL.valueSerde().deserializer();
  private volatile boolean running;
  private volatile @Nullable Consumer<String, byte[]> consumer;
  private @Nullable Thread thread;
  private final CountDownLatch positioned = new CountDownLatch(1);

  JobControlListener(KafkaClients clients, JobRunner runner, TopicsProperties topics, WorkerProperties worker) {
    this.clients = clients;
    this.runner = runner;
    this.topic = topics.jobControl();
    this.worker = worker;
  }

  /** Returns once positioned at the end of the topic (bounded), so no cancel after startup is missed. */
  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    Thread loop = new Thread(this::run, "job-control");
    loop.setDaemon(true);
    loop.start();
    thread = loop;
    try {
      if (!positioned.await(READY_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("{} not readable yet; cancels are heard once it is", topic);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
        loop.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return DEFAULT_PHASE - 300;
  }

  private void run() {
    while (running) {
      try (Consumer<String, byte[]> kafka = clients.controlConsumer()) {
        consumer = kafka;
        listen(kafka);
      } catch (WakeupException e) {
        // stopping
      } catch (RuntimeException e) {
        log.error("job control listener failed; restarting", e);
        sleepQuietly();
      } finally {
        consumer = null;
      }
    }
  }

  private void listen(Consumer<String, byte[]> kafka) {
    Set<TopicPartition> assigned = new HashSet<>();
    long nextRefresh = 0;
    while (running) {
      if (System.nanoTime() >= nextRefresh) {
        assignNewPartitions(kafka, assigned);
        nextRefresh = System.nanoTime() + (assigned.isEmpty() ? Duration.ofSeconds(1) : PARTITION_REFRESH).toNanos();
      }
      if (assigned.isEmpty()) {
        sleepQuietly();
        continue;
      }
      for (ConsumerRecord<String, byte[]> record : kafka.poll(worker.pollTimeout())) {
        handle(record);
      }
    }
  }

  private void assignNewPartitions(Consumer<String, byte[]> kafka, Set<TopicPartition> assigned) {
    List<PartitionInfo> infos;
    try {
      infos = kafka.partitionsFor(topic, Duration.ofSeconds(5));
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      log.warn("cannot read the partitions of {} yet (broker unreachable?); retrying", topic);
      return;
    }
    if (infos == null || infos.isEmpty()) {
      return;
    }
    Set<TopicPartition> all = new HashSet<>();
    infos.forEach(info -> all.add(new TopicPartition(info.topic(), info.partition())));
    if (all.equals(assigned)) {
      return;
    }
    Set<TopicPartition> added = new HashSet<>(all);
    added.removeAll(assigned);
    kafka.assign(all);
    if (assigned.isEmpty()) {
      kafka.seekToEnd(all);
    } else {
      kafka.seekToBeginning(added); // partitions added since the start hold only recent records
    }
    // seeks are lazy: resolve them now, so a cancel published right after start() is not skipped
    all.forEach(kafka::position);
    assigned.clear();
    assigned.addAll(all);
    positioned.countDown();
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    JobControl control;
    try {
      control = controls.deserialize(record.topic(), record.value());
    } catch (SerializationException e) {
      log.warn("skipping undecodable job-control record {}-{}@{}: {}", record.topic(), record.partition(),
          record.offset(), e.getMessage());
      return;
    }
    if (control != null && control.getAction() == JobControlAction.CANCEL) {
      log.debug("CANCEL for job {} ({})", control.getJobId(), control.getReason());
      runner.cancel(control.getJobId(), control.getReason());
    }
  }

  private void sleepQuietly() {
    try {
      Thread.sleep(1_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }
}
