package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The batch lane has its own capacity: with the batch intake full of running batch items, interactive jobs still
 * start up to the interactive lane's own bound, on one shared runner, as in the application
 * ({@link BatchLaneConfiguration}).
 */
class BatchLaneTest {

  private static final TopicPartition JOBS = new TopicPartition("ai.jobs", 0);
  private static final TopicPartition BATCH_JOBS = new TopicPartition("ai.batch-jobs", 0);

  private final MockConsumer<String, byte[]> jobConsumer = new MockConsumer<>("earliest");
  private final MockConsumer<String, byte[]> batchConsumer = new MockConsumer<>("earliest");
  private final List<String> started = new CopyOnWriteArrayList<>();
  private final Map<String, CompletableFuture<Void>> running = new ConcurrentHashMap<>();
  private final JobLauncher runner = job -> {
    CompletableFuture<Void> finished = new CompletableFuture<>();
    running.put(job.getJobId(), finished);
    started.add(job.getJobId());
    return finished;
  };
  private final ai.gateway.worker.config.WorkerProperties worker = WorkerPropertiesFixtures.worker(2, Duration.ofMillis(10),
      Duration.ofMillis(10), Duration.ofSeconds(60), Duration.ofSeconds(1));
  private final JobMetrics metrics = new JobMetrics(new SimpleMeterRegistry());
  private final ConsumerGroupJobIntake interactive = new ConsumerGroupJobIntake(
      new IntakeSources(() -> jobConsumer, () -> new MockConsumer<>("latest"), JOBS.topic(), "ai.job-status"),
      "jobs", 2, runner, worker, "worker-test", metrics, Clock.systemUTC());
  private final ConsumerGroupJobIntake batch = new ConsumerGroupJobIntake(
      new IntakeSources(() -> batchConsumer, () -> new MockConsumer<>("latest"), BATCH_JOBS.topic(), "ai.job-status"),
      "batch", 3, runner, worker, "worker-test", metrics, Clock.systemUTC());

  @AfterEach
  void stop() {
    interactive.stop();
    batch.stop();
  }

  @Test
  void shouldStartInteractiveJobsWhileTheBatchLaneIsFull() {
    // given: ten batch items waiting, the batch lane bounded at 3
    batch.start();
    feed(batchConsumer, BATCH_JOBS, "item-", 10);
    await().until(() -> batch.inFlight() == 3);

    // when: interactive jobs arrive
    interactive.start();
    feed(jobConsumer, JOBS, "job-", 4);

    // then: they start up to their own bound, 2, although the batch lane is full
    await().until(() -> interactive.inFlight() == 2);
    assertThat(started).filteredOn(id -> id.startsWith("job-")).containsExactly("job-0", "job-1");
    assertThat(started).filteredOn(id -> id.startsWith("item-")).containsExactly("item-0", "item-1", "item-2");
    assertThat(batch.inFlight()).isEqualTo(3);

    // and: finishing interactive jobs frees interactive slots only; a finished batch item frees a batch slot
    running.get("job-0").complete(null);
    await().until(() -> started.contains("job-2"));
    assertThat(started).filteredOn(id -> id.startsWith("item-")).hasSize(3);
    running.get("item-0").complete(null);
    await().until(() -> started.contains("item-3"));
    assertThat(interactive.inFlight()).isEqualTo(2);
    assertThat(batch.inFlight()).isEqualTo(3);
  }

  private static void feed(MockConsumer<String, byte[]> consumer, TopicPartition partition, String prefix, int count) {
    consumer.schedulePollTask(() -> {
      consumer.rebalance(List.of(partition));
      consumer.updateBeginningOffsets(Map.of(partition, 0L));
      for (int offset = 0; offset < count; offset++) {
        GenerationJob job = JobFixtures.streamJob().setJobId(prefix + offset)
            .setKind(prefix.startsWith("item") ? JobKind.BATCH : JobKind.STREAM).build();
        consumer.addRecord(new ConsumerRecord<>(partition.topic(), 0, offset, job.getJobId(),
            Topics.JOBS.valueSerde().serializer().serialize(partition.topic(), job)));
      }
    });
  }
}
