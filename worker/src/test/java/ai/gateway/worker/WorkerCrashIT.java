package ai.gateway.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.simulator.LedgerEntry;
import ai.gateway.simulator.ProviderSimulator;
import ai.gateway.simulator.SimulatorConfig;
import ai.gateway.worker.config.WorkerIdentity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Crashes and duplicates, with real processes: a second worker runs from the module's own jar in its own JVM
 * and is killed with SIGKILL in the middle of its provider calls; the worker in this JVM must complete every
 * job it had, as new attempts, with one terminal event per job attempt and one usage event per provider call
 * that could report. The test profile's session timeout (6 s) and lease (5 s) make this take seconds; with
 * the defaults (20 s and 20 s) the same takes about 20 s plus the job's own duration (worker/docs-intake.md).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
@ActiveProfiles("test")
class WorkerCrashIT {

  private static final EmbeddedKafkaKraftBroker BROKER = startBroker();
  private static final ProviderSimulator SIMULATOR = ProviderSimulator.start(SimulatorConfig.defaults());
  private static final String GROUP = "ai-workers-crash-it";
  private static final int PARTITIONS = 4;
  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

  private static TopicRecorder recorder;
  private static KafkaProducer<String, byte[]> producer;

  @Autowired
  WorkerIdentity identity;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", BROKER::getBrokersAsString);
    registry.add("worker.providers.openai.base-url", SIMULATOR::openAiBaseUrl);
    registry.add("worker.providers.openai.api-key", () -> "sk-crash-it");
    registry.add("worker.group-id", () -> GROUP);
    registry.add("worker.id", () -> "worker-survivor");
    registry.add("topics.partitions", () -> PARTITIONS);
  }

  private static EmbeddedKafkaKraftBroker startBroker() {
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, PARTITIONS);
    broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
    broker.afterPropertiesSet();
    return broker;
  }

  @BeforeEach
  void connect() {
    if (recorder == null) {
      recorder = new TopicRecorder(BROKER.getBrokersAsString(), Map.of(
          Topics.REPLIES.defaultName(), Topics.REPLIES,
          Topics.JOB_STATUS.defaultName(), Topics.JOB_STATUS,
          Topics.USAGE.defaultName(), Topics.USAGE));
      producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.getBrokersAsString(),
          ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
    }
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (recorder != null) {
      recorder.close();
      producer.close();
    }
    SIMULATOR.close();
  }

  @Test
  void shouldRunTheJobsOfAKilledWorkerAgainAsNewAttemptsAndNothingThatHadEnded() throws Exception {
    // given: a second worker, from the jar, in the same group, holding half of the partitions
    Instant killedAt;
    List<GenerationJob> longJobs;
    List<GenerationJob> shortJobs;
    try (ForkedWorker doomed = ForkedWorker.start("worker-doomed", List.of(
        "--spring.profiles.active=test",
        "--spring.kafka.bootstrap-servers=" + BROKER.getBrokersAsString(),
        "--worker.providers.openai.base-url=" + SIMULATOR.openAiBaseUrl(),
        "--worker.providers.openai.api-key=sk-crash-it",
        "--worker.group-id=" + GROUP,
        "--worker.id=worker-doomed",
        "--topics.partitions=" + PARTITIONS))) {
      await().atMost(Duration.ofSeconds(90)).until(doomed::healthy);
      await().atMost(Duration.ofSeconds(30)).until(WorkerCrashIT::groupSettledWithTwoMembers);

      // long jobs on both workers; then short ones, on the same partitions behind them, that end before the kill
      longJobs = IntStream.range(0, 12).mapToObj(i -> job("sim-ms-5000")).toList();
      for (GenerationJob job : longJobs) {
        publish(job);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> longJobs.stream().allMatch(job -> !statuses(job).isEmpty()));
      assertThat(longJobs).as("the doomed worker must hold some of the long jobs")
          .anyMatch(job -> ranOn(job, "worker-doomed"));
      shortJobs = IntStream.range(0, 12).mapToObj(i -> job("sim-tokens-2")).toList();
      for (GenerationJob job : shortJobs) {
        publish(job);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> shortJobs.stream().allMatch(WorkerCrashIT::ended));
      assertThat(shortJobs).as("the doomed worker must have ended some of the short jobs")
          .anyMatch(job -> ranOn(job, "worker-doomed"));

      // when
      killedAt = Instant.now();
      doomed.kill();
    }

    // then: every long job the doomed worker held runs again here, as attempt 2
    List<GenerationJob> orphans = longJobs.stream().filter(job -> ranOn(job, "worker-doomed")).toList();
    await().atMost(SESSION_TIMEOUT.plusSeconds(40)).until(() -> longJobs.stream().allMatch(WorkerCrashIT::ended));
    Instant lastOrphanEnded = Instant.MIN;
    for (GenerationJob job : longJobs) {
      boolean orphan = orphans.contains(job);
      JobStatus terminal = terminalStatus(job);
      int attempt = orphan ? 2 : 1;
      assertThat(terminal.getState()).as(job.getJobId()).isEqualTo(JobState.SUCCEEDED);
      assertThat(terminal.getAttempt()).as(job.getJobId()).isEqualTo(attempt);
      assertThat(terminal.getWorkerId()).isEqualTo(identity.id());
      assertOneTerminalEventPerAttempt(job, attempt);
      // one usage event per provider call that could report: the killed call cannot (design principle 4)
      List<LedgerEntry> calls = SIMULATOR.ledger().byClientRequestId(job.getJobId());
      assertThat(calls).as("provider calls of %s", job.getJobId()).hasSize(attempt);
      assertThat(calls.stream().filter(LedgerEntry::aborted)).hasSize(attempt - 1);
      await().atMost(Duration.ofSeconds(10)).until(() -> usages(job).size() == 1);
      assertThat(usages(job)).singleElement().satisfies(usage -> assertThat(usage.getDelivery()).isEqualTo(attempt));
      if (orphan) {
        lastOrphanEnded = max(lastOrphanEnded, terminal.getTimestamp());
      }
    }
    // and the short jobs that had ended, though their offsets may not have been committed, did not run again
    for (GenerationJob job : shortJobs) {
      assertThat(SIMULATOR.ledger().byClientRequestId(job.getJobId())).as(job.getJobId()).hasSize(1);
      assertThat(statuses(job).stream().filter(status -> status.getState() != JobState.RUNNING)).hasSize(1);
      assertOneTerminalEventPerAttempt(job, 1);
      assertThat(usages(job)).hasSize(1);
    }
    Duration recovery = Duration.between(killedAt, lastOrphanEnded);
    System.out.printf("kill -9 -> %d orphaned jobs of 5 s ended as attempt 2 on the survivor within %d ms%n",
        orphans.size(), recovery.toMillis());
    // the session timeout, a rebalance, the job's own 5 s, and slack for a loaded machine
    assertThat(recovery).isLessThan(SESSION_TIMEOUT.plusSeconds(5).plusSeconds(15));
  }

  @Test
  void shouldRunAJobPublishedTwiceOnceWithOneResultAndOneUsageEvent() throws Exception {
    // given: the gateway's send timed out although the record was written, and it sent the job again
    GenerationJob job = job("sim-tokens-3");
    publish(job);
    await().atMost(Duration.ofSeconds(15)).until(() -> ended(job));

    // when
    RecordMetadata duplicate = publish(job);

    // then: the duplicate was taken (its offset committed) without running the job again
    await().atMost(Duration.ofSeconds(15)).until(() -> committed(new TopicPartition(duplicate.topic(),
        duplicate.partition())) > duplicate.offset());
    // then
    assertThat(SIMULATOR.ledger().byClientRequestId(job.getJobId())).hasSize(1);
    assertOneTerminalEventPerAttempt(job, 1);
    assertThat(statuses(job).stream().filter(status -> status.getState() != JobState.RUNNING)).hasSize(1);
    await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> usages(job).size() == 1);
  }

  private static void assertOneTerminalEventPerAttempt(GenerationJob job, int lastAttempt) {
    await().atMost(Duration.ofSeconds(10)).until(() -> terminalEvents(job, lastAttempt).size() == 1);
    for (int attempt = 1; attempt < lastAttempt; attempt++) {
      assertThat(terminalEvents(job, attempt)).as("terminal events of the killed attempt %d", attempt).isEmpty();
    }
    assertThat(replies(job).stream().filter(terminal())).as("terminal events of %s", job.getJobId()).hasSize(1);
  }

  private static List<GenerationEvent> terminalEvents(GenerationJob job, int attempt) {
    return replies(job).stream().filter(event -> event.getAttempt() == attempt).filter(terminal()).toList();
  }

  private static Predicate<GenerationEvent> terminal() {
    return event -> event.getType() == GenerationEventType.DONE || event.getType() == GenerationEventType.ERROR;
  }

  private static boolean ranOn(GenerationJob job, String workerId) {
    return statuses(job).stream().anyMatch(status -> workerId.equals(status.getWorkerId()));
  }

  private static boolean ended(GenerationJob job) {
    return statuses(job).stream().anyMatch(status -> status.getState() != JobState.RUNNING);
  }

  private static JobStatus terminalStatus(GenerationJob job) {
    return statuses(job).stream().filter(status -> status.getState() != JobState.RUNNING).findFirst().orElseThrow();
  }

  private static List<JobStatus> statuses(GenerationJob job) {
    return recorder.values(Topics.JOB_STATUS.defaultName(), JobStatus.class, job.getJobId());
  }

  private static List<GenerationEvent> replies(GenerationJob job) {
    return recorder.values(Topics.REPLIES.defaultName(), GenerationEvent.class, job.getJobId());
  }

  private static List<UsageEvent> usages(GenerationJob job) {
    return recorder.values(Topics.USAGE.defaultName(), UsageEvent.class, job.getUserId()).stream()
        .filter(usage -> usage.getJobId().equals(job.getJobId()))
        .toList();
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static GenerationJob job(String model) {
    Instant now = Instant.now();
    return GenerationJob.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setUserId("user-crash-it")
        .setKind(JobKind.ASYNC)
        .setProvider("openai")
        .setModel(model)
        .setPrompt("Tell me a story")
        .setMaxTokens(40)
        .setTemperature(0.7)
        .setCreatedAt(now)
        .setDeadlineAt(now.plusSeconds(120))
        .setDelivery(1)
        .setReplyTo("gateway-crash-it")
        .build();
  }

  private static RecordMetadata publish(GenerationJob job) throws Exception {
    return producer.send(new ProducerRecord<>(Topics.JOBS.defaultName(), job.getJobId(),
        Topics.JOBS.valueSerde().serializer().serialize(Topics.JOBS.defaultName(), job))).get();
  }

  private static long committed(TopicPartition partition) throws Exception {
    try (AdminClient admin = AdminClient.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        BROKER.getBrokersAsString()))) {
      OffsetAndMetadata offset = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get()
          .get(partition);
      return offset == null ? -1 : offset.offset();
    }
  }

  private static boolean groupSettledWithTwoMembers() throws Exception {
    try (AdminClient admin = AdminClient.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        BROKER.getBrokersAsString()))) {
      ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(GROUP)).describedGroups().get(GROUP).get();
      return group.groupState() == GroupState.STABLE && group.members().size() == 2
          && group.members().stream().allMatch(member -> !member.assignment().topicPartitions().isEmpty());
    }
  }
}
