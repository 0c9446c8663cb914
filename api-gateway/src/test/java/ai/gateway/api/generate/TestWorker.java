package ai.gateway.api.generate;

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

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
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
 * Plays the worker on a real broker: reads {@code ai.jobs} and {@code ai.job-control} with a plain
 * consumer and answers on {@code ai.replies} as a worker would. The prompt picks the behaviour:
 * <ul>
 *   <li>{@code scenario:error-first} — one ERROR RATE_LIMITED (retry after 2.5 s)</li>
 *   <li>{@code scenario:provider-error-first} — one ERROR PROVIDER_ERROR from openai</li>
 *   <li>{@code scenario:error-after-chunks} — two chunks, then ERROR PROVIDER_ERROR</li>
 *   <li>{@code scenario:slow} — one chunk, then nothing (the client must leave or time out)</li>
 *   <li>{@code scenario:silent} — nothing at all</li>
 *   <li>{@code scenario:ticks:<n>} — chunks "1", "2", … "n", one every 50 ms (off the poll thread), then DONE</li>
 *   <li>anything else — chunks "Hello", ", ", "world" and DONE</li>
 * </ul>
 */
public final class TestWorker implements AutoCloseable {

  public final List<GenerationJob> jobs = new CopyOnWriteArrayList<>();
  public final List<JobControl> controls = new CopyOnWriteArrayList<>();
  /** When each reply was handed to the producer ({@code System.nanoTime()}), by {@code <jobId>/<attempt>.<seq>}. */
  public final Map<String, Long> sentAt = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final Thread thread;
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "test-worker-ticks"));
  private volatile boolean running = true;

  public TestWorker(String bootstrapServers) {
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
    thread = new Thread(this::run, "test-worker");
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
            controls.add(Topics.JOB_CONTROL.valueSerde().deserializer().deserialize(record.topic(), record.value()));
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
    String id = job.getJobId();
    if (job.getPrompt().startsWith("scenario:ticks:")) {
      tick(id, 1, Integer.parseInt(job.getPrompt().substring("scenario:ticks:".length())));
      return;
    }
    switch (job.getPrompt()) {
      case "scenario:silent" -> { }
      case "scenario:slow" -> send(chunk(id, 1, "Hel"));
      case "scenario:error-first" -> send(error(id, 1, ErrorCode.RATE_LIMITED, true, 2_500L));
      case "scenario:provider-error-first" -> send(error(id, 1, ErrorCode.PROVIDER_ERROR, true, null));
      case "scenario:error-after-chunks" -> {
        send(chunk(id, 1, "Hel"));
        send(chunk(id, 2, "lo"));
        send(error(id, 3, ErrorCode.PROVIDER_ERROR, true, null));
      }
      default -> {
        send(chunk(id, 1, "Hello"));
        send(chunk(id, 2, ", "));
        send(chunk(id, 3, "world"));
        send(event(id, 4, GenerationEventType.DONE).setProvider("openai").setModel("gpt-test-2026").setFinishReason("stop")
            .setUsage(Usage.newBuilder().setPromptTokens(3).setCompletionTokens(3).setTotalTokens(6).setEstimated(false).build())
            .setCostMicroUsd(150L).build());
      }
    }
  }

  private void tick(String jobId, int seq, int chunks) {
    if (seq > chunks) {
      send(event(jobId, seq, GenerationEventType.DONE).setProvider("openai").setModel("gpt-test-2026").setFinishReason("stop")
          .setUsage(Usage.newBuilder().setPromptTokens(1).setCompletionTokens(chunks).setTotalTokens(chunks + 1).setEstimated(false).build())
          .setCostMicroUsd(1L).build());
      return;
    }
    send(chunk(jobId, seq, Integer.toString(seq)));
    ticker.schedule(() -> tick(jobId, seq + 1, chunks), 50, TimeUnit.MILLISECONDS);
  }

  private static GenerationEvent chunk(String jobId, int seq, String content) {
    return event(jobId, seq, GenerationEventType.CHUNK).setContent(content).build();
  }

  private static GenerationEvent error(String jobId, int seq, ErrorCode code, boolean retryable, Long retryAfterMs) {
    return event(jobId, seq, GenerationEventType.ERROR).setProvider("openai")
        .setError(ErrorInfo.newBuilder().setCode(code).setMessage("The provider failed.").setRetryable(retryable)
            .setProvider("openai").setRetryAfterMs(retryAfterMs).build())
        .build();
  }

  private static GenerationEvent.Builder event(String jobId, int seq, GenerationEventType type) {
    return GenerationEvent.newBuilder().setJobId(jobId).setAttempt(1).setSeq(seq).setType(type).setWorkerId("test-worker")
        .setTimestamp(Instant.now());
  }

  /** Also used to check that replies to jobs nobody waits for are ignored. */
  void send(GenerationEvent event) {
    byte[] value = Topics.REPLIES.valueSerde().serializer().serialize(Topics.REPLIES.defaultName(), event);
    sentAt.put(event.getJobId() + "/" + event.getAttempt() + "." + event.getSeq(), System.nanoTime());
    producer.send(new ProducerRecord<>(Topics.REPLIES.defaultName(), event.getJobId(), value));
  }

  public List<JobControl> controlsFor(String jobId) {
    return controls.stream().filter(c -> c.getJobId().equals(jobId)).toList();
  }

  public boolean sawRequest(String requestId) {
    return jobs.stream().anyMatch(job -> requestId.equals(job.getRequestId()));
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
