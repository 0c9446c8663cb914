package ai.gateway.worker;

import ai.gateway.schemas.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jspecify.annotations.Nullable;

/**
 * Reads every partition of some topics from the beginning on a background thread and keeps what it read,
 * decoded, for tests to wait on. A plain consumer without a group: what any reader of the topics sees.
 */
final class TopicRecorder implements AutoCloseable {

  /** One record as read: key, decoded value ({@code null} for a tombstone), headers, partition order kept. */
  record Received(String topic, @Nullable String key, @Nullable Object value, Map<String, String> headers) {
  }

  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, TopicSpec<String, ?>> specs;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  TopicRecorder(String bootstrapServers, Map<String, TopicSpec<String, ?>> specsByTopic) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    this.consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    this.specs = Map.copyOf(specsByTopic);
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : specs.keySet()) {
      consumer.partitionsFor(topic, Duration.ofSeconds(10))
          .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.thread = new Thread(this::poll, "topic-recorder");
    thread.setDaemon(true);
    thread.start();
  }

  /** Values of one type read from a topic, optionally only those with this key. */
  <V> List<V> values(String topic, Class<V> type, @Nullable String key) {
    return received.stream()
        .filter(record -> record.topic().equals(topic))
        .filter(record -> key == null || key.equals(record.key()))
        .filter(record -> type.isInstance(record.value()))
        .map(record -> type.cast(record.value()))
        .toList();
  }

  List<Received> all(String topic) {
    return received.stream().filter(record -> record.topic().equals(topic)).toList();
  }

  private void poll() {
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
          Object value = record.value() == null ? null
              : specs.get(record.topic()).valueSerde().deserializer().deserialize(record.topic(), record.value());
          Map<String, String> headers = new java.util.HashMap<>();
          record.headers().forEach(header -> headers.put(header.key(),
              new String(header.value(), java.nio.charset.StandardCharsets.UTF_8)));
          received.add(new Received(record.topic(), record.key(), value, Map.copyOf(headers)));
        }
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close();
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    consumer.wakeup();
    thread.join(5_000);
  }
}
