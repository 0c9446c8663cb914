package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Kafka 4.2 share group, explicit acknowledgement: each consumer polls a batch of at most {@code maxInFlight /
 * consumers} records ({@code share.acquire.mode=record_limit}), runs them all at once and acknowledges each as
 * it ends; the next poll is only allowed once the whole batch is acknowledged (the client throws otherwise),
 * so a batch runs at the pace of its slowest job. Acknowledgements are sent by {@code commitAsync()} while
 * the batch drains.
 */
final class ShareGroupDesign implements IntakeDesign {

  private record Done(ConsumerRecord<String, byte[]> record, boolean ok) {
  }

  private final int consumers;
  private final List<Thread> threads = new ArrayList<>();
  private final List<KafkaShareConsumer<String, byte[]>> clients = new ArrayList<>();
  private volatile boolean running;

  ShareGroupDesign(int consumers) {
    this.consumers = consumers;
  }

  @Override
  public String name() {
    return "share group, " + consumers + " consumer" + (consumers == 1 ? "" : "s") + ", explicit ack";
  }

  @Override
  public void start(String bootstrapServers, String topic, int maxInFlight,
      Function<GenerationJob, CompletableFuture<Void>> work) {
    String group = "bench-share-" + UUID.randomUUID();
    startFromEarliest(bootstrapServers, group);
    running = true;
    for (int i = 0; i < consumers; i++) {
      KafkaShareConsumer<String, byte[]> consumer = new KafkaShareConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
          ConsumerConfig.GROUP_ID_CONFIG, group,
          ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit",
          // without it the default batch_optimized mode ignores max.poll.records (STACK-NOTES pitfall 11)
          ConsumerConfig.SHARE_ACQUIRE_MODE_CONFIG, "record_limit",
          ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, maxInFlight / consumers)),
          new StringDeserializer(), new ByteArrayDeserializer());
      clients.add(consumer);
      consumer.subscribe(List.of(topic));
      Thread thread = new Thread(() -> consume(consumer, work), "bench-share-" + i);
      thread.setDaemon(true);
      thread.start();
      threads.add(thread);
    }
  }

  private void consume(KafkaShareConsumer<String, byte[]> consumer,
      Function<GenerationJob, CompletableFuture<Void>> work) {
    LinkedBlockingQueue<Done> done = new LinkedBlockingQueue<>();
    try {
      while (running) {
        ConsumerRecords<String, byte[]> batch = consumer.poll(Duration.ofMillis(100));
        int pending = 0;
        for (ConsumerRecord<String, byte[]> record : batch) {
          pending++;
          work.apply(JOBS.deserialize(record.topic(), record.value()))
              .whenComplete((ok, error) -> done.add(new Done(record, error == null)));
        }
        while (pending > 0 && running) {
          Done next = done.poll(50, TimeUnit.MILLISECONDS);
          if (next == null) {
            continue;
          }
          do {
            consumer.acknowledge(next.record(), next.ok() ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE);
            pending--;
          } while ((next = done.poll()) != null);
          consumer.commitAsync();
        }
      }
    } catch (WakeupException | InterruptedException e) {
      // closing
    } finally {
      consumer.close(Duration.ofSeconds(1));
    }
  }

  /** Share groups start at the latest offset (STACK-NOTES pitfall 9); the jobs were published before. */
  private static void startFromEarliest(String bootstrapServers, String group) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group),
          List.of(new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"),
              AlterConfigOp.OpType.SET)))).all().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot configure share group " + group, e);
    }
  }

  @Override
  public void close() {
    running = false;
    clients.forEach(KafkaShareConsumer::wakeup);
    for (Thread thread : threads) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
