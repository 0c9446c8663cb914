package ai.gateway.api.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
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
 * Plays the worker for async jobs on a real broker, as the real worker's records look ({@code JobRecords}):
 * a {@code RUNNING} status, the events on {@code ai.replies}, then the terminal event and the terminal status.
 * The prompt picks the behaviour:
 * <ul>
 *   <li>{@code scenario:fail} — ERROR PROVIDER_ERROR, status FAILED</li>
 *   <li>{@code scenario:hold} — one chunk "Hel", then waits for a CANCEL (ends CANCELLED) or {@link #release}</li>
 *   <li>{@code scenario:ticks:<n>} — chunks "1" … "n" every 50 ms, then DONE</li>
 *   <li>anything else — chunks "Hello", ", ", "world", DONE, status SUCCEEDED</li>
 * </ul>
 */
final class AsyncTestWorker implements AutoCloseable {

  final List<GenerationJob> jobs = new CopyOnWriteArrayList<>();
  final List<JobControl> controls = new CopyOnWriteArrayList<>();
  private final Map<String, GenerationJob> held = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final Thread thread;
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "async-worker-ticks"));
  private volatile boolean running = true;

  AsyncTestWorker(String bootstrapServers) {
    consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
    producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : List.of(Topics.JOBS.defaultName(), Topics.JOB_CONTROL.defaultName())) {
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(10))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(this::run, "async-test-worker");
    thread.start();
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.topic().equals(Topics.JOBS.defaultName())) {
            GenerationJob job = Topics.JOBS.valueSerde().deserializer().deserialize(record.topic(), record.value());
            jobs.add(job);
            answer(job);
          } else {
            JobControl control = Topics.JOB_CONTROL.valueSerde().deserializer().deserialize(record.topic(), record.value());
            controls.add(control);
            GenerationJob job = held.remove(control.getJobId());
            if (job != null) {
              reply(event(job, 2, GenerationEventType.ERROR).setError(error(ErrorCode.CANCELLED, "the job was cancelled")).build());
              status(job, JobState.CANCELLED).setError(error(ErrorCode.CANCELLED, "the job was cancelled")).build();
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
    status(job, JobState.RUNNING).setLeaseExpiresAt(Instant.now().plusSeconds(30)).build();
    String prompt = job.getPrompt();
    if (prompt.startsWith("scenario:ticks:")) {
      tick(job, 1, Integer.parseInt(prompt.substring("scenario:ticks:".length())));
      return;
    }
    switch (prompt) {
      case "scenario:fail" -> {
        reply(event(job, 1, GenerationEventType.ERROR).setProvider("openai")
            .setError(error(ErrorCode.PROVIDER_ERROR, "The provider failed.")).build());
        status(job, JobState.FAILED).setError(error(ErrorCode.PROVIDER_ERROR, "The provider failed.")).build();
      }
      case "scenario:hold" -> {
        reply(event(job, 1, GenerationEventType.CHUNK).setContent("Hel").build());
        held.put(job.getJobId(), job);
      }
      default -> {
        reply(event(job, 1, GenerationEventType.CHUNK).setContent("Hello").build());
        reply(event(job, 2, GenerationEventType.CHUNK).setContent(", ").build());
        reply(event(job, 3, GenerationEventType.CHUNK).setContent("world").build());
        done(job, 4, "Hello, world");
      }
    }
  }

  /** Ends a held job successfully ("Hel" + "lo"); returns when its records are on the broker. */
  void release(String jobId) throws ExecutionException, InterruptedException, TimeoutException {
    GenerationJob job = held.remove(jobId);
    if (job == null) {
      throw new IllegalStateException("job " + jobId + " is not held");
    }
    reply(event(job, 2, GenerationEventType.CHUNK).setContent("lo").build());
    done(job, 3, "Hello");
    producer.flush();
  }

  boolean holds(String jobId) {
    return held.containsKey(jobId);
  }

  private void tick(GenerationJob job, int seq, int chunks) {
    if (seq > chunks) {
      StringBuilder content = new StringBuilder();
      for (int i = 1; i <= chunks; i++) {
        content.append(i);
      }
      done(job, seq, content.toString());
      return;
    }
    reply(event(job, seq, GenerationEventType.CHUNK).setContent(Integer.toString(seq)).build());
    ticker.schedule(() -> tick(job, seq + 1, chunks), 50, TimeUnit.MILLISECONDS);
  }

  private void done(GenerationJob job, int seq, String content) {
    Usage usage = Usage.newBuilder().setPromptTokens(3).setCompletionTokens(3).setTotalTokens(6).setEstimated(false).build();
    reply(event(job, seq, GenerationEventType.DONE).setProvider("openai").setModel("gpt-test-2026").setFinishReason("stop")
        .setUsage(usage).setCostMicroUsd(150L).build());
    status(job, JobState.SUCCEEDED)
        .setOutput(JobResult.newBuilder().setContent(content).setProvider("openai").setModel("gpt-test-2026")
            .setFinishReason("stop").build())
        .setUsage(usage)
        .setCostMicroUsd(150L)
        .build();
  }

  private static ErrorInfo error(ErrorCode code, String message) {
    return ErrorInfo.newBuilder().setCode(code).setMessage(message).setRetryable(code == ErrorCode.PROVIDER_ERROR)
        .setProvider(code == ErrorCode.PROVIDER_ERROR ? "openai" : null).build();
  }

  private static GenerationEvent.Builder event(GenerationJob job, int seq, GenerationEventType type) {
    return GenerationEvent.newBuilder().setJobId(job.getJobId()).setAttempt(job.getDelivery()).setSeq(seq).setType(type)
        .setWorkerId("async-test-worker").setTimestamp(Instant.now());
  }

  private void reply(GenerationEvent event) {
    producer.send(new ProducerRecord<>(Topics.REPLIES.defaultName(), event.getJobId(),
        Topics.REPLIES.valueSerde().serializer().serialize(Topics.REPLIES.defaultName(), event)));
  }

  /** A status record for the job, published by {@link StatusSender#build()}. */
  private StatusSender status(GenerationJob job, JobState state) {
    return new StatusSender(JobStatus.newBuilder().setJobId(job.getJobId()).setUserId(job.getUserId()).setState(state)
        .setAttempt(job.getDelivery()).setWorkerId("async-test-worker").setTimestamp(Instant.now()));
  }

  /** Publishes a status record (also used by tests for stale and duplicate records). */
  void send(JobStatus status) {
    producer.send(new ProducerRecord<>(Topics.JOB_STATUS.defaultName(), status.getJobId(),
        Topics.JOB_STATUS.valueSerde().serializer().serialize(Topics.JOB_STATUS.defaultName(), status)));
    producer.flush();
  }

  List<GenerationJob> jobsWithId(String jobId) {
    return jobs.stream().filter(job -> job.getJobId().equals(jobId)).toList();
  }

  List<JobControl> controlsFor(String jobId) {
    return controls.stream().filter(control -> control.getJobId().equals(jobId)).toList();
  }

  private final class StatusSender {

    private final JobStatus.Builder builder;

    StatusSender(JobStatus.Builder builder) {
      this.builder = builder;
    }

    StatusSender setLeaseExpiresAt(Instant at) {
      builder.setLeaseExpiresAt(at);
      return this;
    }

    StatusSender setError(ErrorInfo error) {
      builder.setError(error);
      return this;
    }

    StatusSender setOutput(JobResult output) {
      builder.setOutput(output);
      return this;
    }

    StatusSender setUsage(Usage usage) {
      builder.setUsage(usage);
      return this;
    }

    StatusSender setCostMicroUsd(long cost) {
      builder.setCostMicroUsd(cost);
      return this;
    }

    void build() {
      JobStatus status = builder.build();
      producer.send(new ProducerRecord<>(Topics.JOB_STATUS.defaultName(), status.getJobId(),
          Topics.JOB_STATUS.valueSerde().serializer().serialize(Topics.JOB_STATUS.defaultName(), status)));
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(5_000);
    ticker.shutdownNow();
    producer.close(Duration.ofSeconds(1));
  }
}
