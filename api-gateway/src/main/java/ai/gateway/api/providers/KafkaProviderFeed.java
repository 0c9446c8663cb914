package ai.gateway.api.providers;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import ai.gateway.api.kafka.PollingThreads;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.ProviderCapabilities;
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

/**
 * Reads the compacted {@code ai.providers} from the beginning on one daemon thread, without a consumer
 * group (every gateway instance needs all of it), and keeps {@link ProviderDirectory} current.
 */
final class KafkaProviderFeed implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(KafkaProviderFeed.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration RETRY = Duration.ofSeconds(2);

  private final Supplier<Consumer<String, byte[]>> consumers;
  private final String topic;
  private final ProviderDirectory directory;

  private volatile boolean running;
  private volatile @Nullable Consumer<String, byte[]> consumer;
  private @Nullable Thread thread;

  KafkaProviderFeed(Supplier<Consumer<String, byte[]>> consumers, String topic, ProviderDirectory directory) {
    this.consumers = consumers;
    this.topic = topic;
    this.directory = directory;
  }

  @Override
  public void start() {
    running = true;
    thread = PollingThreads.start("provider-feed", this::run);
  }

  private void run() {
    while (running) {
      try (Consumer<String, byte[]> current = consumers.get()) {
        consumer = current;
        List<PartitionInfo> partitions = current.partitionsFor(topic, Duration.ofSeconds(5));
        if (partitions == null || partitions.isEmpty()) {
          pause();
          continue;
        }
        List<TopicPartition> assignment = partitions.stream()
            .map(info -> new TopicPartition(topic, info.partition())).toList();
        current.assign(assignment);
        current.seekToBeginning(assignment);
        while (running) {
          for (ConsumerRecord<String, byte[]> record : current.poll(POLL)) {
            apply(record);
          }
        }
      } catch (WakeupException e) {
        // stopping
      } catch (RuntimeException e) {
        if (running) {
          log.warn("provider feed failed, restarting: {}", e.toString());
          pause();
        }
      } finally {
        consumer = null;
      }
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    if (record.key() == null) {
      return;
    }
    try {
      directory.apply(record.key(), Topics.PROVIDERS.valueSerde().deserializer().deserialize(topic, record.value()));
    } catch (SerializationException e) {
      log.warn("skipping an undecodable record at {}-{}@{}", record.topic(), record.partition(), record.offset());
    }
  }

  private void pause() {
    try {
      Thread.sleep(RETRY.toMillis()); // a dedicated daemon thread backing off, never an event loop
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  @Override
  public void stop() {
    running = false;
    PollingThreads.stop(consumer, thread);
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
