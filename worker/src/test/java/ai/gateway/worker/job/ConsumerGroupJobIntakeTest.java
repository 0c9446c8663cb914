package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The intake's bookkeeping against Kafka's own MockConsumer: the in-flight bound, out-of-order completion
 * and what gets committed. The real broker path is WorkerIT's.
 */
class ConsumerGroupJobIntakeTest {

  private static final String TOPIC = "ai.jobs";
  private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

  private volatile @Nullable OffsetAndMetadata committedAtClose;
  private final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest") {
    @Override
    public void close() {
      committedAtClose = committed(Set.of(PARTITION)).get(PARTITION); // a closed MockConsumer answers nothing
      super.close();
    }
  };
  private final List<String> started = new CopyOnWriteArrayList<>();
  private final Map<String, CompletableFuture<Void>> running = new ConcurrentHashMap<>();
  private final MockConsumer<String, byte[]> statuses = new MockConsumer<>("latest");
  private final ConsumerGroupJobIntake intake = new ConsumerGroupJobIntake(
      new IntakeSources(() -> consumer, () -> statuses, TOPIC, "ai.job-status"), job -> {
        CompletableFuture<Void> finished = new CompletableFuture<>();
        running.put(job.getJobId(), finished);
        started.add(job.getJobId());
        return finished;
      }, WorkerPropertiesFixtures.worker(2, Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofSeconds(60),
          Duration.ofSeconds(1)),
      "worker-test", new JobMetrics(new SimpleMeterRegistry()), Clock.systemUTC());

  @AfterEach
  void stop() {
    intake.stop();
  }

  @Test
  void shouldBoundJobsInFlightAndCommitOnlyBelowTheOldestUnfinished() {
    // given: jobs at offsets 0..4, an undecodable record at 5, a job at 6
    intake.start();
    consumer.schedulePollTask(() -> {
      consumer.rebalance(List.of(PARTITION));
      consumer.updateBeginningOffsets(Map.of(PARTITION, 0L));
      for (int offset = 0; offset <= 6; offset++) {
        byte[] value = offset == 5 ? new byte[] {42} : job("job-" + offset);
        consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, offset, "key-" + offset, value));
      }
    });

    // when / then: two at a time, the partition paused while full
    await().until(() -> started.size() == 2);
    assertThat(started).containsExactly("job-0", "job-1");
    await().until(() -> consumer.paused().contains(PARTITION));
    assertThat(intake.inFlight()).isEqualTo(2);

    // when: the second finishes first
    running.get("job-1").complete(null);

    // then: the next one starts, but nothing past the unfinished offset 0 is committed
    await().until(() -> started.size() == 3);
    await().until(() -> committed() == 0L);

    // when
    running.get("job-0").complete(null);

    // then: offset 2 is running, so 2 is the position
    await().until(() -> committed() == 2L);

    // when: everything else finishes, the last job without its records on Kafka
    await().until(() -> started.size() == 4);
    running.get("job-2").complete(null);
    running.get("job-3").complete(null);
    await().until(() -> started.size() == 6);
    running.get("job-4").complete(null);
    running.get("job-6").completeExceptionally(new IllegalStateException("broker down"));

    // then: the undecodable record was skipped, the failed job stays uncommitted for redelivery
    assertThat(started).containsExactly("job-0", "job-1", "job-2", "job-3", "job-4", "job-6");
    await().until(() -> committed() == 6L);
    await().until(() -> intake.inFlight() == 0);
    await().until(() -> consumer.paused().isEmpty());
  }

  @Test
  void shouldCommitWhatFinishedWhenStopping() {
    // given
    intake.start();
    consumer.schedulePollTask(() -> {
      consumer.rebalance(List.of(PARTITION));
      consumer.updateBeginningOffsets(Map.of(PARTITION, 0L));
      consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "key-0", job("job-0")));
    });
    await().until(() -> started.size() == 1);
    running.get("job-0").complete(null);

    // when
    intake.stop();

    // then
    assertThat(consumer.closed()).isTrue();
    assertThat(committedAtClose).isNotNull().extracting(OffsetAndMetadata::offset).isEqualTo(1L);
  }

  @Test
  void shouldRunAJobPublishedTwiceOnlyOnce() {
    // given: the producer retried a send that had succeeded: the same job at offsets 0 and 1
    intake.start();
    consumer.schedulePollTask(() -> {
      consumer.rebalance(List.of(PARTITION));
      consumer.updateBeginningOffsets(Map.of(PARTITION, 0L));
      consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, "job-a", job("job-a")));
      consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 1, "job-a", job("job-a")));
      consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 2, "job-b", job("job-b")));
    });

    // when: the first copy runs, the second waits for it
    await().until(() -> started.size() == 2);
    assertThat(started).containsExactly("job-a", "job-b");
    running.get("job-a").complete(null);
    running.get("job-b").complete(null);

    // then: the second copy is acknowledged without a second run
    await().until(() -> committed() == 3L);
    assertThat(started).containsExactly("job-a", "job-b");
    assertThat(intake.inFlight()).isZero();
  }

  private long committed() {
    OffsetAndMetadata committed = consumer.committed(Set.of(PARTITION)).get(PARTITION);
    return committed == null ? -1 : committed.offset();
  }

  private static byte[] job(String jobId) {
    GenerationJob job = JobFixtures.streamJob().setJobId(jobId).build();
    return Topics.JOBS.valueSerde().serializer().serialize(TOPIC, job);
  }
}
