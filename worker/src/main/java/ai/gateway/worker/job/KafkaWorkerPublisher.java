package ai.gateway.worker.job;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.worker.config.KafkaClients;
import ai.gateway.worker.config.TopicsProperties;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * One producer behind one thread. {@code KafkaProducer.send} can block (metadata, full buffer) for up to
 * {@code max.block.ms}, so it never runs on the caller's thread, which is often a Netty event loop; a single
 * thread issuing sends in arrival order keeps every job's records in order. The queue is bounded: when
 * Kafka is down for long, sends fail instead of growing the heap.
 */
@Component
final class KafkaWorkerPublisher implements WorkerPublisher, DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(KafkaWorkerPublisher.class);
  private static final int QUEUE_CAPACITY = 100_000;
  private static final Map<JobKind, byte[]> KIND_NAMES = Arrays.stream(JobKind.values())
      .collect(Collectors.toUnmodifiableMap(kind -> kind, kind -> kind.name().getBytes(StandardCharsets.US_ASCII)));

  private final Producer<String, byte[]> producer;
  private final TopicsProperties topics;
  private final ThreadPoolExecutor sender;

  KafkaWorkerPublisher(KafkaClients clients, TopicsProperties topics) {
    this.producer = clients.producer();
    this.topics = topics;
    this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE_CAPACITY),
        runnable -> {
          Thread thread = new Thread(runnable, "kafka-publisher");
          thread.setDaemon(true);
          return thread;
        });
  }

  @Override
  public CompletableFuture<Void> reply(GenerationEvent event) {
    return send(topics.replies(), event.getJobId(), event, Topics.REPLIES.valueSerde().serializer(), null);
  }

  @Override
  public CompletableFuture<Void> status(JobStatus status, JobKind kind) {
    return send(topics.jobStatus(), status.getJobId(), status, Topics.JOB_STATUS.valueSerde().serializer(),
        new RecordHeaders().add(Topics.JOB_KIND_HEADER, KIND_NAMES.get(kind)));
  }

  @Override
  public CompletableFuture<Void> usage(UsageEvent usage) {
    return send(topics.usage(), usage.getUserId(), usage, Topics.USAGE.valueSerde().serializer(), null);
  }

  @Override
  public CompletableFuture<Void> capabilities(String workerId, @Nullable ProviderCapabilities capabilities) {
    return send(topics.providers(), workerId, capabilities, Topics.PROVIDERS.valueSerde().serializer(), null);
  }

  /** Behind every send queued so far: {@code producer.flush()} then waits until the broker has them all. */
  @Override
  public CompletableFuture<Void> flush() {
    CompletableFuture<Void> flushed = new CompletableFuture<>();
    try {
      sender.execute(() -> {
        try {
          producer.flush();
          flushed.complete(null);
        } catch (RuntimeException e) {
          flushed.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      flushed.completeExceptionally(e);
    }
    return flushed;
  }

  private <V> CompletableFuture<Void> send(String topic, String key, @Nullable V value, Serializer<V> serializer,
                                           @Nullable Headers headers) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    try {
      sender.execute(() -> {
        try {
          byte[] bytes = value == null ? null : serializer.serialize(topic, value);
          producer.send(new ProducerRecord<>(topic, null, key, bytes, headers), (metadata, error) -> {
            if (error == null) {
              sent.complete(null);
            } else {
              sent.completeExceptionally(error);
            }
          });
        } catch (RuntimeException e) {
          sent.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      sent.completeExceptionally(e);
    }
    sent.whenComplete((ok, error) -> {
      if (error != null) {
        log.error("could not publish a record to {} (key {})", topic, key, error);
      }
    });
    return sent;
  }

  /** After every lifecycle has stopped (jobs ended, tombstone sent): deliver what is queued, then close. */
  @Override
  public void destroy() throws InterruptedException {
    sender.shutdown();
    if (!sender.awaitTermination(10, TimeUnit.SECONDS)) {
      log.warn("publisher queue not drained in 10 s; {} sends dropped", sender.shutdownNow().size());
    }
    producer.close(Duration.ofSeconds(10));
  }
}
