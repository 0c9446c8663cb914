package ai.gateway.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobControlAction;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.ProviderInfo;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageOutcome;
import ai.gateway.simulator.LedgerEntry;
import ai.gateway.simulator.ProviderSimulator;
import ai.gateway.simulator.SimulatorConfig;
import ai.gateway.worker.config.WorkerIdentity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The worker as deployed, between a real (in-process KRaft) broker and the provider simulator over real
 * HTTP: jobs in on {@code ai.jobs}, everything it publishes read back with a plain consumer.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("test")
class WorkerIT {

  private static final EmbeddedKafkaKraftBroker BROKER = startBroker();
  private static final ProviderSimulator SIMULATOR = ProviderSimulator.start(SimulatorConfig.defaults());
  private static final String GROUP = "ai-workers-it";

  private static TopicRecorder recorder;
  private static KafkaProducer<String, byte[]> producer;

  @Autowired
  WorkerIdentity identity;

  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", BROKER::getBrokersAsString);
    registry.add("worker.providers.openai.base-url", SIMULATOR::openAiBaseUrl);
    registry.add("worker.providers.openai.api-key", () -> "sk-worker-it");
    registry.add("worker.providers.anthropic.base-url", SIMULATOR::anthropicBaseUrl);
    registry.add("worker.providers.anthropic.api-key", () -> "sk-ant-worker-it");
    registry.add("worker.providers.gemini.base-url", SIMULATOR::geminiBaseUrl);
    registry.add("worker.providers.gemini.api-key", () -> "sk-gemini-worker-it");
    registry.add("worker.group-id", () -> GROUP);
    registry.add("topics.partitions", () -> 3);
  }

  private static EmbeddedKafkaKraftBroker startBroker() {
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.brokerProperty("transaction.state.log.replication.factor", "1");
    broker.brokerProperty("transaction.state.log.min.isr", "1");
    broker.afterPropertiesSet();
    return broker;
  }

  @BeforeEach
  void connect() {
    if (recorder == null) {
      // after the context started: the worker has created the topics by now
      recorder = new TopicRecorder(BROKER.getBrokersAsString(), Map.of(
          Topics.REPLIES.defaultName(), Topics.REPLIES,
          Topics.JOB_STATUS.defaultName(), Topics.JOB_STATUS,
          Topics.USAGE.defaultName(), Topics.USAGE,
          Topics.PROVIDERS.defaultName(), Topics.PROVIDERS));
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
    // the broker outlives the Spring context, which is cached and closed at JVM exit
  }

  @Test
  void shouldStreamTheProvidersTextAsOrderedChunksThenDoneWithExactUsage() throws Exception {
    // given
    GenerationJob job = job().build();

    // when
    RecordMetadata published = publish(job);

    // then
    GenerationEvent done = awaitTerminal(job);
    LedgerEntry call = singleCall(job);
    List<GenerationEvent> events = replies(job);
    List<GenerationEvent> chunks = events.subList(0, events.size() - 1);
    assertThat(events).extracting(GenerationEvent::getSeq)
        .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, events.size()).boxed().toList());
    assertThat(chunks).allSatisfy(chunk -> {
      assertThat(chunk.getType()).isEqualTo(GenerationEventType.CHUNK);
      assertThat(chunk.getAttempt()).isEqualTo(1);
      assertThat(chunk.getWorkerId()).isEqualTo(identity.id());
      assertThat(chunk.getReplyTo()).isEqualTo("gateway-it");
    });
    assertThat(chunks.stream().map(GenerationEvent::getContent).collect(Collectors.joining())).isEqualTo(call.content())
        .isNotEmpty();
    assertThat(done.getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(done.getProvider()).isEqualTo("openai");
    assertThat(done.getModel()).startsWith("gpt-4o-mini");
    assertThat(done.getFinishReason()).isEqualTo("stop");
    assertThat(done.getUsage().getPromptTokens()).isEqualTo(call.promptTokens());
    assertThat(done.getUsage().getCompletionTokens()).isEqualTo(call.completionTokens());
    assertThat(done.getUsage().getEstimated()).isFalse();
    assertThat(done.getCostMicroUsd()).isPositive();
    assertThat(call.aborted()).isFalse();

    UsageEvent usage = awaitUsage(job);
    assertThat(usage.getOutcome()).isEqualTo(UsageOutcome.SUCCEEDED);
    assertThat(usage.getTotalTokens()).isEqualTo(call.promptTokens() + call.completionTokens());
    assertThat(usage.getEstimated()).isFalse();
    assertThat(usage.getPriceKnown()).isTrue();
    assertThat(usage.getCostMicroUsd()).isEqualTo(done.getCostMicroUsd());

    List<JobStatus> statuses = awaitStatuses(job, 2);
    assertThat(statuses).extracting(JobStatus::getState).containsExactly(JobState.RUNNING, JobState.SUCCEEDED);
    assertThat(statuses.get(0).getLeaseExpiresAt()).isAfter(statuses.get(0).getTimestamp());
    assertThat(statuses.get(1).getOutput().getContent()).isEqualTo(call.content());
    // labelled with the job's kind, for consumers that skip other kinds' statuses undecoded
    assertThat(recorder.all(Topics.JOB_STATUS.defaultName())).filteredOn(record -> job.getJobId().equals(record.key()))
        .extracting(record -> record.headers().get(Topics.JOB_KIND_HEADER))
        .containsOnly(job.getKind().name());

    // the finished job's offset is committed
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(committed(new TopicPartition(published.topic(), published.partition())))
            .isGreaterThan(published.offset()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"anthropic", "gemini"})
  void shouldStreamAnthropicAndGeminiAnswersWithExactUsage(String provider) throws Exception {
    // given
    GenerationJob job = job().setProvider(provider).build();

    // when
    publish(job);

    // then
    GenerationEvent done = awaitTerminal(job);
    LedgerEntry call = singleCall(job);
    assertThat(call.provider()).isEqualTo(provider);
    assertThat(done.getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(done.getProvider()).isEqualTo(provider);
    assertThat(done.getModel()).isEqualTo(provider.equals("anthropic") ? "claude-sonnet-4-6" : "gemini-3.5-flash");
    assertThat(replies(job).stream().filter(event -> event.getType() == GenerationEventType.CHUNK)
        .map(GenerationEvent::getContent).collect(Collectors.joining())).isEqualTo(call.content()).isNotEmpty();
    assertThat(done.getUsage().getPromptTokens()).isEqualTo(call.promptTokens());
    assertThat(done.getUsage().getCompletionTokens()).isEqualTo(call.completionTokens());
    assertThat(done.getUsage().getEstimated()).isFalse();
    assertThat(done.getCostMicroUsd()).isPositive();
    UsageEvent usage = awaitUsage(job);
    assertThat(usage.getProvider()).isEqualTo(provider);
    assertThat(usage.getPriceKnown()).isTrue();
  }

  @Test
  void shouldRetryAProviderFailureThenReportErrorFailedAndAUsageEventPerCall() throws Exception {
    // given
    GenerationJob job = job().setModel("sim-error-500").build();

    // when
    publish(job);

    // then
    GenerationEvent error = awaitTerminal(job);
    assertThat(error.getType()).isEqualTo(GenerationEventType.ERROR);
    assertThat(error.getSeq()).isEqualTo(1);
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.PROVIDER_ERROR);
    assertThat(error.getError().getRetryable()).isTrue();
    assertThat(error.getError().getProvider()).isEqualTo("openai");
    assertThat(error.getError().getMessage()).doesNotContain("127.0.0.1", "sk-", "Hello");
    assertThat(awaitStatuses(job, 2)).extracting(JobStatus::getState).containsExactly(JobState.RUNNING, JobState.FAILED);
    // max-attempts (3) calls, each with its own usage event
    assertThat(SIMULATOR.ledger().byClientRequestId(job.getJobId())).hasSize(3);
    await().atMost(Duration.ofSeconds(10)).until(() -> usages(job).size() == 3);
    assertThat(usages(job)).extracting(UsageEvent::getProviderAttempt).containsExactlyInAnyOrder(1, 2, 3);
    assertThat(usages(job)).allSatisfy(usage -> {
      assertThat(usage.getOutcome()).isEqualTo(UsageOutcome.FAILED);
      assertThat(usage.getErrorCode()).isEqualTo(ErrorCode.PROVIDER_ERROR);
      assertThat(usage.getEstimated()).isTrue();
    });
  }

  @Test
  void shouldHangUpOnTheProviderWithinTwoSecondsOfACancel() throws Exception {
    // given: the first chunk, then the provider goes quiet
    GenerationJob job = job().setModel("sim-stall").build();
    publish(job);
    await().atMost(Duration.ofSeconds(10)).until(() -> !replies(job).isEmpty());

    // when
    Instant cancelledAt = Instant.now();
    producer.send(new ProducerRecord<>(Topics.JOB_CONTROL.defaultName(), job.getJobId(),
        Topics.JOB_CONTROL.valueSerde().serializer().serialize(Topics.JOB_CONTROL.defaultName(),
            JobControl.newBuilder().setJobId(job.getJobId()).setAction(JobControlAction.CANCEL)
                .setUserId(job.getUserId()).setReason("client-disconnected").setRequestedAt(cancelledAt).build())))
        .get();

    // then
    await().atMost(Duration.ofSeconds(2)).until(() -> singleCall(job).aborted());
    assertThat(Duration.between(cancelledAt, singleCall(job).abortedAt())).isLessThan(Duration.ofSeconds(2));
    GenerationEvent error = awaitTerminal(job);
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.CANCELLED);
    assertThat(error.getError().getRetryable()).isFalse();
    assertThat(error.getSeq()).isEqualTo(2);
    UsageEvent usage = awaitUsage(job);
    assertThat(usage.getOutcome()).isEqualTo(UsageOutcome.CANCELLED);
    assertThat(usage.getEstimated()).isTrue();
    assertThat(usage.getCompletionTokens()).isPositive();
    assertThat(awaitStatuses(job, 2)).extracting(JobStatus::getState)
        .containsExactly(JobState.RUNNING, JobState.CANCELLED);
  }

  @Test
  void shouldTimeOutAtTheJobsDeadlineWhenTheProviderSaysNothing() throws Exception {
    // given: the idle timeout (3 s in the test profile) is longer than the deadline
    GenerationJob job = job().setModel("sim-silent").setDeadlineAt(Instant.now().plusMillis(1200)).build();

    // when
    publish(job);

    // then
    GenerationEvent error = awaitTerminal(job);
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(error.getError().getRetryable()).isTrue();
    assertThat(error.getTimestamp()).isBefore(job.getDeadlineAt().plusSeconds(1));
    assertThat(awaitUsage(job).getOutcome()).isEqualTo(UsageOutcome.TIMED_OUT);
    await().atMost(Duration.ofSeconds(2)).until(() -> singleCall(job).aborted());
  }

  @Test
  void shouldFailAJobForAProviderThisWorkerDoesNotHaveWithoutCallingAny() throws Exception {
    // given
    GenerationJob job = job().setProvider("mistral").build();

    // when
    publish(job);

    // then
    GenerationEvent error = awaitTerminal(job);
    assertThat(error.getError().getCode()).isEqualTo(ErrorCode.PROVIDER_NOT_CONFIGURED);
    assertThat(SIMULATOR.ledger().byClientRequestId(job.getJobId())).isEmpty();
    assertThat(awaitStatuses(job, 2)).extracting(JobStatus::getState).containsExactly(JobState.RUNNING, JobState.FAILED);
  }

  @Test
  void shouldSkipAnUndecodableRecordAndGoOn() throws Exception {
    // given
    producer.send(new ProducerRecord<>(Topics.JOBS.defaultName(), "garbage", new byte[] {1, 2, 3})).get();
    GenerationJob job = job().setModel("sim-tokens-3").build();

    // when
    publish(job);

    // then
    assertThat(awaitTerminal(job).getType()).isEqualTo(GenerationEventType.DONE);
  }

  @Test
  void shouldAnnounceItsProvidersWithoutKeys() {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      List<ProviderCapabilities> announced = recorder.values(Topics.PROVIDERS.defaultName(),
          ProviderCapabilities.class, identity.id());
      assertThat(announced).isNotEmpty();
      ProviderCapabilities latest = announced.get(announced.size() - 1);
      assertThat(latest.getProviders()).extracting(ProviderInfo::getName, ProviderInfo::getDefaultModel,
              ProviderInfo::getCircuitOpen)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("openai", "gpt-4o-mini", false),
              org.assertj.core.groups.Tuple.tuple("anthropic", "claude-sonnet-4-6", false),
              org.assertj.core.groups.Tuple.tuple("gemini", "gemini-3.5-flash", false));
      assertThat(latest.getTtlMs()).isEqualTo(3000);
      assertThat(latest.toString()).doesNotContain("sk-worker-it", "sk-ant-worker-it", "sk-gemini-worker-it");
    });
  }

  @Test
  void shouldShareTheJobsWithASecondWorkerAndLeaveWithATombstone() throws Exception {
    // given: a second instance joins the group
    // command-line arguments: they win over application.yml (default properties would not; port 8081 is taken)
    try (ConfigurableApplicationContext second = new SpringApplicationBuilder(WorkerApplication.class)
        .profiles("test")
        .run("--server.port=0",
            "--spring.kafka.bootstrap-servers=" + BROKER.getBrokersAsString(),
            "--worker.providers.openai.base-url=" + SIMULATOR.openAiBaseUrl(),
            "--worker.providers.openai.api-key=sk-worker-it",
            "--worker.group-id=" + GROUP,
            "--worker.id=worker-second",
            // more than the topics have: an existing topic must be left as it is
            "--topics.partitions=12")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !recorder.values(Topics.PROVIDERS.defaultName(),
          ProviderCapabilities.class, "worker-second").isEmpty());
      // and the group has settled with both members holding partitions: a job taken by one member and moved to
      // the other by a rebalance while it runs is redelivered (at-least-once intake), which this test is not about
      await().atMost(Duration.ofSeconds(20)).until(WorkerIT::groupSettledWithTwoMembers);

      // when
      List<GenerationJob> jobs = java.util.stream.IntStream.range(0, 6)
          .mapToObj(i -> job().setModel("sim-tokens-5").build()).toList();
      for (GenerationJob job : jobs) {
        publish(job);
      }

      // then: each job ran exactly once, on one of the two
      for (GenerationJob job : jobs) {
        assertThat(awaitTerminal(job).getType()).isEqualTo(GenerationEventType.DONE);
        awaitUsage(job);
        assertThat(SIMULATOR.ledger().byClientRequestId(job.getJobId())).hasSize(1);
        assertThat(replies(job)).filteredOn(event -> event.getType() != GenerationEventType.CHUNK).hasSize(1);
      }
    }

    assertThat(partitionCounts()).containsEntry(Topics.JOBS.defaultName(), 3)
        .containsEntry(Topics.JOB_STATUS.defaultName(), 3);
    // the graceful stop removed the second worker from ai.providers
    await().atMost(Duration.ofSeconds(10)).until(() -> recorder.all(Topics.PROVIDERS.defaultName()).stream()
        .anyMatch(record -> "worker-second".equals(record.key()) && record.value() == null));
  }

  @Test
  void shouldExposeHealthAndPrometheusMetrics() throws Exception {
    HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
        + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
        + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"UP\"");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("worker_jobs_running", "worker_jobs_in_flight")
        .doesNotContain("sk-worker-it", "sk-ant-worker-it", "sk-gemini-worker-it");
  }

  private static GenerationJob.Builder job() {
    Instant now = Instant.now();
    return GenerationJob.newBuilder()
        .setJobId(UUID.randomUUID().toString())
        .setUserId("user-it")
        .setKind(JobKind.STREAM)
        .setPrompt("Tell me a short story about Kafka")
        .setSystemPrompt("Be brief.")
        .setMaxTokens(100)
        .setTemperature(0.7)
        .setCreatedAt(now)
        .setDeadlineAt(now.plusSeconds(30))
        .setDelivery(1)
        .setReplyTo("gateway-it");
  }

  private static RecordMetadata publish(GenerationJob job) throws Exception {
    return producer.send(new ProducerRecord<>(Topics.JOBS.defaultName(), job.getJobId(),
        Topics.JOBS.valueSerde().serializer().serialize(Topics.JOBS.defaultName(), job))).get();
  }

  private static List<GenerationEvent> replies(GenerationJob job) {
    return recorder.values(Topics.REPLIES.defaultName(), GenerationEvent.class, job.getJobId());
  }

  private static GenerationEvent awaitTerminal(GenerationJob job) {
    await().atMost(Duration.ofSeconds(15)).until(() -> replies(job).stream()
        .anyMatch(event -> event.getType() != GenerationEventType.CHUNK));
    List<GenerationEvent> events = replies(job);
    return events.get(events.size() - 1);
  }

  private static UsageEvent awaitUsage(GenerationJob job) {
    await().atMost(Duration.ofSeconds(10)).until(() -> !usages(job).isEmpty());
    List<UsageEvent> usages = usages(job);
    assertThat(usages).as("one usage event per provider call").hasSize(1);
    return usages.get(0);
  }

  private static List<UsageEvent> usages(GenerationJob job) {
    return recorder.values(Topics.USAGE.defaultName(), UsageEvent.class, job.getUserId()).stream()
        .filter(usage -> usage.getJobId().equals(job.getJobId()))
        .toList();
  }

  private static List<JobStatus> awaitStatuses(GenerationJob job, int count) {
    await().atMost(Duration.ofSeconds(10)).until(() ->
        recorder.values(Topics.JOB_STATUS.defaultName(), JobStatus.class, job.getJobId()).size() >= count);
    return recorder.values(Topics.JOB_STATUS.defaultName(), JobStatus.class, job.getJobId());
  }

  private static LedgerEntry singleCall(GenerationJob job) {
    List<LedgerEntry> calls = SIMULATOR.ledger().byClientRequestId(job.getJobId());
    assertThat(calls).as("provider calls of job %s", job.getJobId()).hasSize(1);
    return calls.get(0);
  }

  @Test
  void shouldCreateTheDesignsTopicsCompactingStatusAndProviders() throws Exception {
    try (AdminClient admin = admin()) {
      Map<String, org.apache.kafka.clients.admin.Config> configs = admin.describeConfigs(List.of(
              new ConfigResource(ConfigResource.Type.TOPIC, Topics.JOB_STATUS.defaultName()),
              new ConfigResource(ConfigResource.Type.TOPIC, Topics.PROVIDERS.defaultName()),
              new ConfigResource(ConfigResource.Type.TOPIC, Topics.REPLIES.defaultName())))
          .all().get().entrySet().stream().collect(Collectors.toMap(e -> e.getKey().name(), Map.Entry::getValue));

      assertThat(partitionCounts()).containsOnlyKeys(Topics.ALL.stream().map(spec -> spec.defaultName()).toArray(String[]::new))
          .allSatisfy((topic, partitions) -> assertThat(partitions).isEqualTo(3));
      assertThat(configs.get(Topics.JOB_STATUS.defaultName()).get("cleanup.policy").value()).isEqualTo("compact");
      assertThat(configs.get(Topics.PROVIDERS.defaultName()).get("cleanup.policy").value()).isEqualTo("compact");
      assertThat(configs.get(Topics.REPLIES.defaultName()).get("cleanup.policy").value()).isEqualTo("delete");
    }
  }

  private static Map<String, Integer> partitionCounts() throws Exception {
    try (AdminClient admin = admin()) {
      return admin.describeTopics(admin.listTopics().names().get()).allTopicNames().get().values().stream()
          .filter(topic -> topic.name().startsWith("ai."))
          .collect(Collectors.toMap(org.apache.kafka.clients.admin.TopicDescription::name,
              topic -> topic.partitions().size()));
    }
  }

  private static boolean groupSettledWithTwoMembers() throws Exception {
    try (AdminClient admin = admin()) {
      org.apache.kafka.clients.admin.ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(GROUP))
          .describedGroups().get(GROUP).get();
      return group.groupState() == org.apache.kafka.common.GroupState.STABLE && group.members().size() == 2
          && group.members().stream().allMatch(member -> !member.assignment().topicPartitions().isEmpty());
    }
  }

  private static AdminClient admin() {
    return AdminClient.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.getBrokersAsString()));
  }

  private static long committed(TopicPartition partition) throws Exception {
    try (AdminClient admin = admin()) {
      Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(GROUP)
          .partitionsToOffsetAndMetadata().get();
      OffsetAndMetadata offset = offsets.get(partition);
      return offset == null ? -1 : offset.offset();
    }
  }
}
