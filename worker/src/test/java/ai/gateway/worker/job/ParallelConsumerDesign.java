package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.internal.DrainingCloseable.DrainingMode;
import io.confluent.parallelconsumer.reactor.ReactorProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Confluent's parallel-consumer 0.5.3.3, reactor module: UNORDERED, {@code maxConcurrency} = the in-flight
 * bound, work returned as a {@code Mono} (no thread held per job). It keeps polling past unfinished records
 * and commits their completion state in the offset commit's metadata.
 */
final class ParallelConsumerDesign implements IntakeDesign {

  private @Nullable ReactorProcessor<String, byte[]> processor;

  @Override
  public String name() {
    return "parallel-consumer 0.5.3.3 (reactor, UNORDERED)";
  }

  @Override
  public void start(String bootstrapServers, String topic, int maxInFlight,
      Function<GenerationJob, CompletableFuture<Void>> work) {
    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "bench-pc-" + UUID.randomUUID(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new ByteArrayDeserializer());
    ParallelConsumerOptions<String, byte[]> options = ParallelConsumerOptions.<String, byte[]>builder()
        .consumer(consumer)
        .ordering(ProcessingOrder.UNORDERED)
        .maxConcurrency(maxInFlight)
        .commitMode(CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
        .ignoreReflectiveAccessExceptionsForAutoCommitDisabledCheck(true)
        .build();
    ReactorProcessor<String, byte[]> started = new ReactorProcessor<>(options);
    started.subscribe(List.of(topic));
    // an empty Mono never frees its slot in 0.5.3.3: after maxConcurrency jobs nothing more runs
    started.react(context -> Mono.fromFuture(() -> work.apply(JOBS.deserialize(topic, context.value())))
        .thenReturn(Boolean.TRUE));
    processor = started;
  }

  @Override
  public void close() {
    if (processor != null) {
      processor.close(Duration.ofSeconds(2), DrainingMode.DONT_DRAIN);
    }
  }
}
