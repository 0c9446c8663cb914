package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * Measures the candidate intake designs on a real (in-process KRaft) broker with mixed job durations; the
 * results and the choice are in {@code worker/docs-intake.md}. Job "work" is a non-blocking timer
 * ({@link JobTally}) so only the intake is measured; {@code WorkerThroughputBenchmarkIT} then runs the chosen
 * design once with the real job runner against the provider simulator.
 *
 * <p>The full-size runs (2,000 in flight, 0.2–20 s, about 2 minutes) need {@code -Dbench=true}; the regular
 * suite runs the same code scaled down and asserts only correctness (every job once, the bound held),
 * printing its figures. Results are also written to {@code target/intake-benchmark.md}.
 */
class IntakeDesignsBenchmarkIT {

  /** The bar: 2,000 in flight, durations uniform 0.2–20 s, so the ideal rate is 2000 / 10.1 s ≈ 198/s. */
  static final Load FULL = new Load(2000, 200, 20_000, 7_000, Duration.ofSeconds(24));
  /** The same shape, 20 times fewer in flight and 20 times shorter, every job awaited. */
  static final Load SMALL = new Load(100, 10, 1_000, 300, Duration.ofMillis(1500));

  private static final EmbeddedKafkaKraftBroker BROKER = startBroker();
  private static final KafkaProducer<String, byte[]> PRODUCER = new KafkaProducer<>(Map.of(
      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.getBrokersAsString(),
      ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer());
  private static final Path REPORT = Path.of("target", "intake-benchmark.md");

  /** In flight, duration range, jobs published, measuring window. */
  record Load(int inFlight, long minMillis, long maxMillis, int jobs, Duration window) {

    double meanSeconds() {
      return (minMillis + maxMillis) / 2000.0;
    }

    double idealRate() {
      return inFlight / meanSeconds();
    }
  }

  static EmbeddedKafkaKraftBroker startBroker() {
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
    // a single node must host the share-group state topic with RF 1, or share consumers receive nothing
    broker.brokerProperty("share.coordinator.state.topic.replication.factor", "1");
    broker.brokerProperty("share.coordinator.state.topic.min.isr", "1");
    broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
    broker.afterPropertiesSet();
    return broker;
  }

  static Stream<Arguments> designs() {
    return Stream.<Supplier<IntakeDesign>>of(ConsumerGroupDesign::new, () -> new ShareGroupDesign(1),
        ParallelConsumerDesign::new).map(supplier -> Arguments.of(Named.of(supplier)));
  }

  @BeforeAll
  static void freshReport() throws IOException {
    Files.deleteIfExists(REPORT);
  }

  @AfterAll
  static void stop() {
    PRODUCER.close();
    BROKER.destroy();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("designs")
  void shouldRunEveryJobOnceWithinTheBoundAtSmallScale(Named design) throws Exception {
    // given
    String topic = topic(12);
    List<Long> durations = durations(SMALL, 7);
    List<String> ids = publish(topic, durations);
    JobTally tally = new JobTally();

    // when
    Measured measured;
    try (IntakeDesign intake = design.get(); ThreadSampler threads = new ThreadSampler()) {
      intake.start(BROKER.getBrokersAsString(), topic, SMALL.inFlight(), tally::simulate);
      await().atMost(Duration.ofSeconds(60)).until(() -> tally.finishedCount() == ids.size());
      measured = new Measured(intake.name(), SMALL, durations, tally, threads.peakAdded());
    }

    // then
    report("small scale (" + SMALL + ")", Measured.HEADER, measured.row());
    assertThat(ids).allMatch(tally::hasFinished);
    assertThat(tally.startedMoreThanOnce()).isEmpty();
    assertThat(tally.peakRunning()).isLessThanOrEqualTo(SMALL.inFlight());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("designs")
  void shouldFinishShortJobsBehindALongOneAtSmallScale(Named design) throws Exception {
    HeadOfLine result = headOfLine(design.get(), Duration.ofSeconds(2), 20, Duration.ofMillis(100));

    report("head of line, small scale (one 2 s job, then 20 of 100 ms, one partition)", HeadOfLine.HEADER,
        result.row());
    assertThat(result.finished()).isEqualTo(20);
    assertThat(result.redelivered()).isZero();
  }

  /** The designs, plus a share group of 20 consumers (STACK-NOTES: "to hold more in flight, run more consumers"). */
  static Stream<Named> fullScaleDesigns() {
    return Stream.concat(designs().map(arguments -> (Named) arguments.get()[0]),
        Stream.of(Named.of(() -> new ShareGroupDesign(20))));
  }

  @Test
  @EnabledIfSystemProperty(named = "bench", matches = "true")
  void benchmarkTwoThousandJobsInFlightOfMixedDurations() throws Exception {
    List<String> rows = new ArrayList<>();
    for (Named design : fullScaleDesigns().toList()) {
      String topic = topic(12);
      List<Long> durations = durations(FULL, 42);
      publish(topic, durations);
      JobTally tally = new JobTally();
      Measured measured;
      try (IntakeDesign intake = design.get(); ThreadSampler threads = new ThreadSampler()) {
        intake.start(BROKER.getBrokersAsString(), topic, FULL.inFlight(), tally::simulate);
        await().atMost(FULL.window().plusSeconds(60)).pollInterval(Duration.ofMillis(200))
            .until(() -> tally.elapsed().compareTo(FULL.window()) >= 0);
        measured = new Measured(intake.name(), FULL, durations, tally, threads.peakAdded());
      }
      rows.add(measured.row());
      assertThat(tally.startedMoreThanOnce()).as(measured.design()).isEmpty();
      assertThat(tally.peakRunning()).as(measured.design()).isLessThanOrEqualTo(FULL.inFlight());
    }
    report("full scale (" + FULL + ")", Measured.HEADER, rows.toArray(String[]::new));
  }

  @Test
  @EnabledIfSystemProperty(named = "bench", matches = "true")
  void benchmarkTwoHundredShortJobsBehindOneLongJob() throws Exception {
    List<String> rows = new ArrayList<>();
    for (Arguments arguments : designs().toList()) {
      HeadOfLine result = headOfLine(((Named) arguments.get()[0]).get(), Duration.ofSeconds(20), 200,
          Duration.ofSeconds(1));
      rows.add(result.row());
      assertThat(result.finished()).isEqualTo(200);
    }
    report("head of line (one 20 s job, then 200 of 1 s, one partition)", HeadOfLine.HEADER,
        rows.toArray(String[]::new));
  }

  /** One long job starts; then the short ones are published on the same partition; how long do they take? */
  private HeadOfLine headOfLine(IntakeDesign intake, Duration longJob, int shortJobs, Duration shortJob)
      throws Exception {
    String topic = topic(1);
    JobTally tally = new JobTally();
    try (intake) {
      intake.start(BROKER.getBrokersAsString(), topic, 2000, tally::simulate);
      String longId = publish(topic, List.of(longJob.toMillis())).get(0);
      await().atMost(Duration.ofSeconds(30)).until(() -> tally.hasStarted(longId));
      List<Long> durations = new ArrayList<>();
      for (int i = 0; i < shortJobs; i++) {
        durations.add(shortJob.toMillis());
      }
      long publishedAt = System.nanoTime();
      List<String> ids = publish(topic, durations);
      await().atMost(longJob.plus(shortJob).plusSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> ids.stream().allMatch(tally::hasFinished));
      List<Long> latencies = ids.stream().map(id -> (tally.finishedAtNanos(id) - publishedAt) / 1_000_000)
          .sorted().toList();
      return new HeadOfLine(intake.name(), shortJob, ids.size(), latencies.get(latencies.size() / 2),
          latencies.get(latencies.size() - 1), tally.startedMoreThanOnce().size(), tally.hasFinished(longId));
    }
  }

  record HeadOfLine(String design, Duration shortJob, int finished, long p50Millis, long maxMillis,
      int redelivered, boolean longJobDone) {

    static final String HEADER = """
        | design | short jobs done | p50 latency | max latency | max / own duration | long job done by then |
        |---|---|---|---|---|---|""";

    String row() {
      return String.format("| %s | %d | %.2f s | %.2f s | %.1f× | %s |", design, finished, p50Millis / 1000.0,
          maxMillis / 1000.0, maxMillis / (double) shortJob.toMillis(), longJobDone ? "yes" : "no");
    }
  }

  /** A run's figures against a perfect intake given the same jobs. */
  record Measured(String design, Load load, List<Long> durations, JobTally tally, int threadsAdded) {

    static final String HEADER = """
        | design | peak in flight | completed in the window / perfect intake | rate in the second half of the window \
        (perfect intake, asymptote in-flight ÷ mean) | threads added | redelivered |
        |---|---|---|---|---|---|""";

    String row() {
      Duration window = load.window();
      Duration half = window.dividedBy(2);
      int done = tally.finishedBetween(Duration.ZERO, window);
      int ideal = IdealSchedule.completedBy(durations, load.inFlight(), window);
      double steady = tally.finishedBetween(half, window) / (window.toMillis() / 2000.0);
      double idealSteady = IdealSchedule.completedBetween(durations, load.inFlight(), half, window)
          / (window.toMillis() / 2000.0);
      return String.format("| %s | %d | %d / %d = %.0f %% | %.0f/s (ideal run %.0f/s, asymptote %.0f/s) = %.0f %% "
              + "| %d | %d |", design, tally.peakRunning(), done, ideal, 100.0 * done / ideal, steady, idealSteady,
          load.idealRate(), 100.0 * steady / load.idealRate(), threadsAdded, tally.startedMoreThanOnce().size());
    }
  }

  /** Samples the JVM's live thread count while a design runs: the peak above the count at the start. */
  static final class ThreadSampler implements AutoCloseable {

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final AtomicInteger peak = new AtomicInteger();
    private final Thread sampler;
    private final int baseline;
    private volatile boolean running = true;

    ThreadSampler() {
      sampler = new Thread(() -> {
        while (running) {
          peak.accumulateAndGet(threads.getThreadCount(), Math::max);
          try {
            TimeUnit.MILLISECONDS.sleep(20); // a sampling period, not a wait for a condition
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "bench-thread-sampler");
      sampler.setDaemon(true);
      sampler.start();
      baseline = threads.getThreadCount();
    }

    int peakAdded() {
      return Math.max(0, peak.get() - baseline);
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      sampler.interrupt();
      sampler.join(1_000);
    }
  }

  /** A design factory with a readable name for the parameterized test. */
  record Named(String name, Supplier<IntakeDesign> factory) {

    static Named of(Supplier<IntakeDesign> factory) {
      try (IntakeDesign design = factory.get()) {
        return new Named(design.name(), factory);
      }
    }

    IntakeDesign get() {
      return factory.get();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static List<Long> durations(Load load, long seed) {
    Random random = new Random(seed);
    List<Long> durations = new ArrayList<>(load.jobs());
    for (int i = 0; i < load.jobs(); i++) {
      durations.add(load.minMillis() + (long) (random.nextDouble() * (load.maxMillis() - load.minMillis())));
    }
    return durations;
  }

  private static String topic(int partitions) throws Exception {
    String topic = "bench-jobs-" + UUID.randomUUID();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.getBrokersAsString()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(10, TimeUnit.SECONDS);
      // Producing before the broker acts as the partitions' leader makes the idempotent producer's first batches
      // fail with NOT_LEADER and then OUT_OF_ORDER_SEQUENCE until the delivery timeout (seen on the embedded
      // broker even after metadata named the leader); ListOffsets is answered by the leader only.
      Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
      for (int partition = 0; partition < partitions; partition++) {
        ends.put(new TopicPartition(topic, partition), OffsetSpec.latest());
      }
      await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
          .until(() -> admin.listOffsets(ends).all().get(2, TimeUnit.SECONDS).size() == partitions);
    }
    return topic;
  }

  /** Publishes one job per duration (model {@code sim-ms-<duration>}) and returns their ids, in order. */
  private static List<String> publish(String topic, List<Long> durations) throws Exception {
    Instant now = Instant.now();
    List<String> ids = new ArrayList<>(durations.size());
    for (long duration : durations) {
      GenerationJob job = GenerationJob.newBuilder()
          .setJobId(UUID.randomUUID().toString())
          .setUserId("bench-user")
          .setKind(JobKind.ASYNC)
          .setProvider("openai")
          .setModel("sim-ms-" + duration)
          .setPrompt("bench")
          .setMaxTokens(5)
          .setCreatedAt(now)
          .setDeadlineAt(now.plus(Duration.ofMinutes(10)))
          .setDelivery(1)
          .build();
      ids.add(job.getJobId());
      PRODUCER.send(new ProducerRecord<>(topic, job.getJobId(),
          Topics.JOBS.valueSerde().serializer().serialize(topic, job)));
    }
    PRODUCER.flush();
    return ids;
  }

  static void report(String title, String header, String... rows) throws IOException {
    report(REPORT, title, header, rows);
  }

  /** Prints a Markdown table and appends it to {@code file}. */
  static synchronized void report(Path file, String title, String header, String... rows) throws IOException {
    StringBuilder text = new StringBuilder("\n### ").append(title).append("\n\n").append(header).append('\n');
    for (String row : rows) {
      text.append(row).append('\n');
    }
    System.out.println(text);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }
}
