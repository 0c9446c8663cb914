package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.simulator.ProviderSimulator;
import ai.gateway.simulator.SimulatorConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The chosen intake once more, now with the whole worker (the real {@link JobRunner}, provider adapter over
 * HTTP, every record published, leases renewed) against the provider simulator: 2,000 jobs in flight, spread
 * round-robin over the OpenAI, Anthropic and Gemini adapters (each on the simulator's matching endpoint), whose
 * answers ({@code sim-ms-<N>}, 5 tokens) are spread uniformly over 0.2–20 s. Completions are read from
 * {@code ai.job-status} as any consumer would. Only with {@code -Dbench=true} (about 80 s); appends its
 * row to {@code target/worker-throughput-benchmark.md}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@EnabledIfSystemProperty(named = "bench", matches = "true")
class WorkerThroughputBenchmarkIT {

  /** The same jobs as the intake benchmark, measured longer: starting 2,000 real calls at once takes seconds here. */
  private static final IntakeDesignsBenchmarkIT.Load LOAD = new IntakeDesignsBenchmarkIT.Load(2000, 200, 20_000,
      11_000, Duration.ofSeconds(40));
  /** Jobs go round-robin to the three real adapters, each pointed at the simulator's matching endpoint. */
  private static final List<String> PROVIDERS = List.of("openai", "anthropic", "gemini");
  private static final EmbeddedKafkaKraftBroker BROKER = startBroker();
  private static final ProviderSimulator SIMULATOR = ProviderSimulator.start(
      SimulatorConfig.defaults().withAnswerTokens(5));

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", BROKER::getBrokersAsString);
    registry.add("worker.providers.openai.base-url", SIMULATOR::openAiBaseUrl);
    registry.add("worker.providers.openai.api-key", () -> "sk-bench");
    registry.add("worker.providers.anthropic.base-url", SIMULATOR::anthropicBaseUrl);
    registry.add("worker.providers.anthropic.api-key", () -> "sk-bench");
    registry.add("worker.providers.gemini.base-url", SIMULATOR::geminiBaseUrl);
    registry.add("worker.providers.gemini.api-key", () -> "sk-bench");
    registry.add("worker.max-in-flight", () -> LOAD.inFlight());
    registry.add("worker.group-id", () -> "ai-workers-bench");
  }

  private static EmbeddedKafkaKraftBroker startBroker() {
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 12);
    broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
    broker.afterPropertiesSet();
    return broker;
  }

  @AfterAll
  static void stop() {
    SIMULATOR.close();
  }

  @Test
  void shouldCompleteTwoThousandJobsInFlightAtTheIdealRateWithTheRealRunner() throws Exception {
    // given
    List<Long> durations = new ArrayList<>();
    Map<String, Long> nominal = new ConcurrentHashMap<>();
    Random random = new Random(42);
    for (int i = 0; i < LOAD.jobs(); i++) {
      durations.add(LOAD.minMillis() + (long) (random.nextDouble() * (LOAD.maxMillis() - LOAD.minMillis())));
    }
    IntakeDesignsBenchmarkIT.ThreadSampler threads = new IntakeDesignsBenchmarkIT.ThreadSampler();
    try (StatusCounter statuses = new StatusCounter(BROKER.getBrokersAsString());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.getBrokersAsString(), ProducerConfig.LINGER_MS_CONFIG, 5),
            new StringSerializer(), new ByteArraySerializer())) {

      // when
      Instant now = Instant.now();
      for (int i = 0; i < durations.size(); i++) {
        long duration = durations.get(i);
        GenerationJob job = GenerationJob.newBuilder()
            .setJobId(UUID.randomUUID().toString())
            .setUserId("bench-user-" + random.nextInt(50))
            .setKind(JobKind.ASYNC)
            .setProvider(PROVIDERS.get(i % PROVIDERS.size()))
            .setModel("sim-ms-" + duration)
            .setPrompt("bench")
            .setMaxTokens(5)
            .setCreatedAt(now)
            .setDeadlineAt(now.plus(Duration.ofMinutes(10)))
            .setDelivery(1)
            .build();
        nominal.put(job.getJobId(), duration);
        producer.send(new ProducerRecord<>(Topics.JOBS.defaultName(), job.getJobId(),
            Topics.JOBS.valueSerde().serializer().serialize(Topics.JOBS.defaultName(), job)));
      }
      producer.flush();
      await().atMost(LOAD.window().plusSeconds(90)).pollInterval(Duration.ofSeconds(2))
          .until(() -> {
            System.out.printf("bench t=%s running=%d ended=%d%n", statuses.elapsed(), statuses.running(),
                statuses.endedBetween(Duration.ZERO, Duration.ofHours(1)));
            return statuses.elapsed().compareTo(LOAD.window()) >= 0;
          });

      // then
      Duration window = LOAD.window();
      int done = statuses.endedBetween(Duration.ZERO, window);
      int ideal = IdealSchedule.completedBy(durations, LOAD.inFlight(), window);
      double steady = statuses.endedBetween(window.dividedBy(2), window) / (window.toMillis() / 2000.0);
      String row = String.format("| worker: ConsumerGroupJobIntake + JobRunner + OpenAI, Anthropic and Gemini adapters → simulator | %d | "
              + "%d / %d = %.0f %% | %.0f/s (asymptote %.0f/s) = %.0f %% | %.2f | %d | %d failed |",
          statuses.peakRunning(), done, ideal, 100.0 * done / ideal, steady, LOAD.idealRate(),
          100.0 * steady / LOAD.idealRate(), statuses.stretch(nominal), threads.peakAdded(), statuses.failed());
      threads.close();
      Path report = Path.of("target", "worker-throughput-benchmark.md");
      Files.deleteIfExists(report);
      IntakeDesignsBenchmarkIT.report(report, "whole worker, real runner (" + LOAD + ")", """
          | design | peak running | completed in the window / perfect intake | rate in the second half of the window \
          | job time ÷ its nominal duration (mean) | threads added (JVM incl. simulator and broker clients) | failures |
          |---|---|---|---|---|---|---|""", row);
      // (the peak is observed across partitions read in no common order, so it may exceed the bound by a few)
      assertThat(statuses.failed()).isZero();
      assertThat(done).isPositive();
    }
  }

  /** First RUNNING and terminal status of every job, from {@code ai.job-status}, on a thread of its own. */
  private static final class StatusCounter implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final AtomicLong firstRunningNanos = new AtomicLong();
    private final ConcurrentHashMap<String, Long> endedAtNanos = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> running = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> tookNanos = new ConcurrentHashMap<>();
    private final AtomicInteger peakRunning = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private volatile boolean open = true;

    StatusCounter(String bootstrapServers) {
      consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> partitions = consumer.partitionsFor(Topics.JOB_STATUS.defaultName(), Duration.ofSeconds(10))
          .stream().map(info -> new TopicPartition(info.topic(), info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      thread = new Thread(this::read, "bench-status-counter");
      thread.setDaemon(true);
      thread.start();
    }

    private void read() {
      try {
        while (open) {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
            JobStatus status = Topics.JOB_STATUS.valueSerde().deserializer().deserialize(record.topic(), record.value());
            long now = System.nanoTime();
            if (status.getState() == JobState.RUNNING) {
              firstRunningNanos.compareAndSet(0, now);
              if (running.putIfAbsent(status.getJobId(), now) == null) {
                peakRunning.accumulateAndGet(running.size(), Math::max);
              }
            } else if (endedAtNanos.putIfAbsent(status.getJobId(), now) == null) {
              Long startedAt = running.remove(status.getJobId());
              if (startedAt != null) {
                tookNanos.put(status.getJobId(), now - startedAt);
              }
              if (status.getState() != JobState.SUCCEEDED) {
                failed.incrementAndGet();
              }
            }
          }
        }
      } catch (WakeupException e) {
        // closing
      } finally {
        consumer.close();
      }
    }

    Duration elapsed() {
      long first = firstRunningNanos.get();
      return first == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - first);
    }

    int endedBetween(Duration from, Duration to) {
      long first = firstRunningNanos.get();
      return (int) endedAtNanos.values().stream().map(at -> Duration.ofNanos(at - first))
          .filter(at -> at.compareTo(from) >= 0 && at.compareTo(to) < 0).count();
    }

    int running() {
      return running.size();
    }

    /** Mean of (RUNNING to end, as read here) ÷ the job's nominal duration: above 1, the work itself took longer. */
    double stretch(Map<String, Long> nominalMillis) {
      return tookNanos.entrySet().stream()
          .mapToDouble(took -> took.getValue() / 1e6 / nominalMillis.get(took.getKey()))
          .average().orElse(0);
    }

    int peakRunning() {
      return peakRunning.get();
    }

    int failed() {
      return failed.get();
    }

    @Override
    public void close() throws InterruptedException {
      open = false;
      consumer.wakeup();
      thread.join(5_000);
    }
  }
}
