package ai.gateway.api.batches;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobResult;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.Usage;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Plays the worker's batch lane on a real broker: reads {@code ai.batch-jobs} and {@code ai.job-control}, and
 * answers each item with a {@code RUNNING} then a terminal status carrying its {@code batchId}, as the real worker's
 * records do. It counts, per user, the items it holds (received and not ended), and the most it ever held: the
 * gateway's K bound seen from the worker's side. An item ends its count before its terminal status is sent. The
 * prompt picks the behaviour: {@code scenario:fail} fails, {@code scenario:hold} waits for a CANCEL or
 * {@link #releaseAll}, anything else succeeds after {@code workMillis} with content {@code echo:<prompt>}.
 */
final class BatchTestWorker implements AutoCloseable {

  final List<GenerationJob> jobs = new CopyOnWriteArrayList<>();
  final List<JobControl> controls = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> holding = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> mostHeld = new ConcurrentHashMap<>();
  private final Map<String, GenerationJob> held = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final Thread thread;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "batch-worker-timer"));
  private final long workMillis;
  private volatile boolean running = true;

  BatchTestWorker(String bootstrapServers, long workMillis) {
    this.workMillis = workMillis;
    consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(Topics.BATCH_JOBS.defaultName(), Topics.JOB_CONTROL.defaultName())) {
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(10))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(this::run, "batch-test-worker");
    thread.start();
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
          if (record.topic().equals(Topics.BATCH_JOBS.defaultName())) {
            GenerationJob job = Topics.BATCH_JOBS.valueSerde().deserializer().deserialize(record.topic(), record.value());
            jobs.add(job);
            answer(job);
          } else {
            JobControl control = Topics.JOB_CONTROL.valueSerde().deserializer().deserialize(record.topic(), record.value());
            controls.add(control);
            GenerationJob job = held.remove(control.getJobId());
            if (job != null) {
              end(job, JobState.CANCELLED);
            }
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close(Duration.ofSeconds(1));
    }
  }

  private void answer(GenerationJob job) {
    int now = holding.computeIfAbsent(job.getUserId(), user -> new AtomicInteger()).incrementAndGet();
    mostHeld.computeIfAbsent(job.getUserId(), user -> new AtomicInteger()).accumulateAndGet(now, Math::max);
    send(status(job, JobState.RUNNING).setLeaseExpiresAt(Instant.now().plusSeconds(30)).build());
    switch (job.getPrompt()) {
      case "scenario:hold" -> held.put(job.getJobId(), job);
      case "scenario:fail" -> timer.schedule(() -> end(job, JobState.FAILED), workMillis, TimeUnit.MILLISECONDS);
      default -> timer.schedule(() -> end(job, JobState.SUCCEEDED), workMillis, TimeUnit.MILLISECONDS);
    }
  }

  private void end(GenerationJob job, JobState state) {
    holding.get(job.getUserId()).decrementAndGet();
    JobStatus.Builder status = status(job, state);
    switch (state) {
      case SUCCEEDED -> {
        Usage usage = Usage.newBuilder().setPromptTokens(2).setCompletionTokens(3).setTotalTokens(5).setEstimated(false).build();
        status.setOutput(JobResult.newBuilder().setContent("echo:" + job.getPrompt()).setProvider("openai")
            .setModel("gpt-test-2026").setFinishReason("stop").build()).setUsage(usage).setCostMicroUsd(100L);
      }
      case FAILED -> status.setError(ErrorInfo.newBuilder().setCode(ErrorCode.PROVIDER_ERROR).setMessage("The provider failed.")
          .setRetryable(true).setProvider("openai").build());
      default -> status.setError(ErrorInfo.newBuilder().setCode(ErrorCode.CANCELLED).setMessage("the job was cancelled")
          .setRetryable(false).build());
    }
    send(status.build());
  }

  /** Ends every held item successfully. */
  void releaseAll() {
    for (String id : List.copyOf(held.keySet())) {
      GenerationJob job = held.remove(id);
      if (job != null) {
        end(job, JobState.SUCCEEDED);
      }
    }
    producer.flush();
  }

  int heldCount() {
    return held.size();
  }

  int mostHeldAtOnce(String user) {
    AtomicInteger most = mostHeld.get(user);
    return most == null ? 0 : most.get();
  }

  List<GenerationJob> jobsOfBatch(String batchId) {
    return jobs.stream().filter(job -> batchId.equals(job.getBatchId())).toList();
  }

  private static JobStatus.Builder status(GenerationJob job, JobState state) {
    return JobStatus.newBuilder().setJobId(job.getJobId()).setUserId(job.getUserId()).setState(state)
        .setAttempt(job.getDelivery()).setWorkerId("batch-test-worker").setBatchId(job.getBatchId())
        .setTimestamp(Instant.now());
  }

  private void send(JobStatus status) {
    producer.send(new ProducerRecord<>(Topics.JOB_STATUS.defaultName(), status.getJobId(),
        Topics.JOB_STATUS.valueSerde().serializer().serialize(Topics.JOB_STATUS.defaultName(), status)));
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(5_000);
    timer.shutdownNow();
    producer.close(Duration.ofSeconds(1));
  }
}
