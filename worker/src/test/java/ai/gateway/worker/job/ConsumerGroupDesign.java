package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jspecify.annotations.Nullable;

/**
 * The worker's own intake, {@link ConsumerGroupJobIntake}, with the production defaults except the in-flight
 * bound: one poll thread, the assignment paused at the bound, offsets committed up to the oldest unfinished
 * with the finished ones above it in the commit metadata, and a status topic of its own read back (nothing
 * writes to it here: the simulated jobs publish no status).
 */
final class ConsumerGroupDesign implements IntakeDesign {

  private @Nullable ConsumerGroupJobIntake intake;

  @Override
  public String name() {
    return "consumer group (ConsumerGroupJobIntake)";
  }

  @Override
  public void start(String bootstrapServers, String topic, int maxInFlight,
      Function<GenerationJob, CompletableFuture<Void>> work) {
    String group = "bench-cg-" + UUID.randomUUID();
    String statusTopic = createStatusTopic(bootstrapServers, topic);
    Map<String, Object> jobs = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, group,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100,
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    Map<String, Object> statuses = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
    ConsumerGroupJobIntake started = new ConsumerGroupJobIntake(new IntakeSources(
        () -> new KafkaConsumer<>(jobs, new StringDeserializer(), new ByteArrayDeserializer()),
        () -> new KafkaConsumer<>(statuses, new StringDeserializer(), new ByteArrayDeserializer()), topic, statusTopic),
        work::apply, WorkerPropertiesFixtures.worker(maxInFlight, Duration.ofSeconds(1), Duration.ofMillis(200),
            Duration.ofSeconds(60), Duration.ZERO),
        "bench-worker", new JobMetrics(new SimpleMeterRegistry()), Clock.systemUTC());
    started.start();
    intake = started;
  }

  private static String createStatusTopic(String bootstrapServers, String topic) {
    String statusTopic = topic + "-status";
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
          .partitions().size();
      admin.createTopics(List.of(new NewTopic(statusTopic, partitions, (short) 1))).all().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create " + statusTopic, e);
    }
    return statusTopic;
  }

  @Override
  public void close() {
    if (intake != null) {
      intake.stop();
    }
  }
}
