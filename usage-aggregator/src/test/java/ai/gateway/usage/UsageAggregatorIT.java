package ai.gateway.usage;

import static ai.gateway.usage.UsageFixtures.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.usage.topology.TopologyNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.context.Lifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.test.context.EmbeddedKafka;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistrar;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole service on real parts: an in-process KRaft broker, PostgreSQL (zonky, stopped and restarted for
 * real outages), the Spring context with the test profile, health over real HTTP, consumer groups inspected
 * and reset with Kafka's Admin client.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "topics.partitions=2")
@ActiveProfiles("test")
@EmbeddedKafka(bootstrapServersProperty = "spring.kafka.bootstrap-servers", brokerProperties = {
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "group.initial.rebalance.delay.ms=0"})
@Import(UsageAggregatorIT.Postgres.class)
// Closed after this class, while the broker still runs: at JVM exit the broker's files may go first.
@DirtiesContext
class UsageAggregatorIT {

  private static final Duration PATIENCE = Duration.ofSeconds(45);
  private static final String STREAMS_GROUP = "usage-aggregator";
  private static final String SINK_GROUP = "usage-sink";
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Recounts the ledger the way the topology should have: per user, UTC day, provider and model. */
  private static final String RECOUNT = """
      SELECT user_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, provider, model, count(*) AS requests,
             sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens,
             sum(total_tokens) AS total_tokens, sum(cost_micro_usd) AS cost_micro_usd,
             count(*) FILTER (WHERE estimated) AS estimated_requests
        FROM ai_usage WHERE user_id = ANY (?)
       GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
      """;
  private static final String TOTALS = """
      SELECT user_id, day, provider, model, requests, prompt_tokens, completion_tokens, total_tokens,
             cost_micro_usd, estimated_requests
        FROM ai_usage_daily_totals WHERE user_id = ANY (?)
       ORDER BY 1, 2, 3, 4
      """;

  /** PostgreSQL as a bean, so the context stops it after the writer that uses it. */
  @TestConfiguration(proxyBeanMethods = false)
  static class Postgres {

    @Bean(destroyMethod = "close")
    RestartablePostgres restartablePostgres() {
      return RestartablePostgres.start();
    }

    @Bean
    DynamicPropertyRegistrar datasourceProperties(RestartablePostgres postgres) {
      return registry -> registry.add("spring.datasource.url", postgres::jdbcUrl);
    }
  }

  @Autowired
  JdbcTemplate jdbc;

  @Autowired
  RestartablePostgres postgres;

  @Autowired
  ApplicationContext context;

  @LocalServerPort
  int port;

  @Value("${spring.kafka.bootstrap-servers}")
  String bootstrapServers;

  @BeforeEach
  void awaitStreamsRunning() {
    await().atMost(PATIENCE).untilAsserted(() ->
        assertThat(health().at("/components/streams/details/state").asString()).isEqualTo("RUNNING"));
  }

  @Test
  void shouldStoreEachDistinctEventOnceWithTotalsEqualToARecountOfTheLedger() throws Exception {
    // given
    String u1 = user();
    String u2 = user();
    UsageEvent lateOnThe27th = call(u1, Instant.parse("2026-11-27T23:59:59.900Z"), "openai", "gpt-4o-mini", 10, 20, 30);
    UsageEvent earlyOnThe28th = call(u1, Instant.parse("2026-11-28T00:00:00.100Z"), "openai", "gpt-4o-mini", 1, 2, 3);
    UsageEvent anthropic = call(u1, Instant.parse("2026-11-28T10:00:00Z"), "anthropic", "claude-sonnet", 5, 5, 50);
    UsageEvent estimated = call(u2, Instant.parse("2026-11-28T10:00:00Z")).setEstimated(true).build();

    // when: one event is sent twice, as a producer retry would
    produce(lateOnThe27th, earlyOnThe28th, anthropic, earlyOnThe28th, estimated);

    // then
    List<String> users = List.of(u1, u2);
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(eventIds(users)).containsExactlyInAnyOrder(lateOnThe27th.getEventId(), earlyOnThe28th.getEventId(),
          anthropic.getEventId(), estimated.getEventId());
      assertThat(totals(users)).isEqualTo(recount(users));
    });
    assertThat(totals(users)).containsExactlyInAnyOrder(
        new DailyTotal(u1, LocalDate.of(2026, 11, 27), "openai", "gpt-4o-mini", 1, 10, 20, 30, 30, 0),
        new DailyTotal(u1, LocalDate.of(2026, 11, 28), "anthropic", "claude-sonnet", 1, 5, 5, 10, 50, 0),
        new DailyTotal(u1, LocalDate.of(2026, 11, 28), "openai", "gpt-4o-mini", 1, 1, 2, 3, 3, 0),
        new DailyTotal(u2, LocalDate.of(2026, 11, 28), "openai", "gpt-4o-mini", 1, 10, 20, 30, 15, 1));
    assertThat(jdbc.queryForObject("SELECT occurred_at FROM ai_usage WHERE event_id = ?", OffsetDateTime.class,
        lateOnThe27th.getEventId()).toInstant()).isEqualTo(lateOnThe27th.getOccurredAt());
    assertThat(health().at("/status").asString()).isEqualTo("UP");
  }

  @Test
  void shouldRememberEventIdsAsLongAsTheUsageTopicCanHoldThem() throws Exception {
    // then: ai.usage has the broker's defaults, 7 days of retention in segments of up to 7 days, CreateTime
    // with producers allowed 1 hour ahead, so an event can stay 14 days and 1 hour (plus a 10 minute margin)
    assertThat(health().at("/components/streams/details/dedupRetention").asString()).isEqualTo("PT337H10M");
  }

  @Test
  void shouldRefuseToStartWhenTheConfiguredDedupRetentionIsShorterThanTheUsageTopicHoldsEvents() {
    // given
    SpringApplicationBuilder app = new SpringApplicationBuilder(UsageAggregatorApplication.class).profiles("test");
    // Arguments, not default properties: those rank below application.yml.
    String[] args = {
        "--spring.kafka.bootstrap-servers=" + bootstrapServers,
        "--spring.datasource.url=" + postgres.jdbcUrl(),
        "--spring.flyway.enabled=false",
        "--spring.main.web-application-type=none",
        "--usage.application-id=usage-aggregator-misconfigured",
        "--usage.dedup-retention=7d"};

    // when / then: 7 days is ai.usage's retention.ms, but a record outlives it by up to a segment
    assertThatThrownBy(() -> app.run(args).close())
        .rootCause()
        .hasMessageContaining("usage.dedup-retention=PT168H is shorter than ai.usage can hold an event (PT337H10M");
  }

  @Test
  void shouldChangeNothingWhenEverythingIsReplayedFromOffsetZero() throws Exception {
    // given: usage counted and written, the duplicate dropped
    String u5 = user();
    UsageEvent first = call(u5, Instant.parse("2026-11-28T10:00:00Z"), "openai", "gpt-4o-mini", 3, 4, 5);
    UsageEvent second = call(u5, Instant.parse("2026-11-28T11:00:00Z"), "openai", "gpt-4o-mini", 6, 7, 8);
    UsageEvent third = call(u5, Instant.parse("2026-11-29T09:00:00Z"), "anthropic", "claude-sonnet", 1, 1, 1);
    produce(first, second, first, third);
    List<String> users = List.of(u5);
    await().atMost(PATIENCE).untilAsserted(() -> assertThat(totals(users)).containsExactlyInAnyOrder(
        new DailyTotal(u5, LocalDate.of(2026, 11, 28), "openai", "gpt-4o-mini", 2, 9, 11, 20, 13, 0),
        new DailyTotal(u5, LocalDate.of(2026, 11, 29), "anthropic", "claude-sonnet", 1, 1, 1, 2, 1, 0)));
    try (Admin admin = admin()) {
      Map<TopicPartition, Long> usageEnd = nonEmpty(endOffsets(admin, Topics.USAGE.defaultName()));
      await().atMost(PATIENCE).until(() -> reached(committed(admin, STREAMS_GROUP), usageEnd));
      Map<String, List<Map<String, Object>>> before = rows(users);
      Map<TopicPartition, Long> ledgerEnd = endOffsets(admin, TopologyNames.DEFAULT_USAGE_LEDGER);

      // when: both consumers stop, their groups go back to offset zero of every topic they read, and they start
      // again; Kafka Streams rebuilds its state (the test profile deletes it on stop) from the changelogs
      Lifecycle sink = context.getBean("usageSink", Lifecycle.class);
      Lifecycle streams = context.getBean("usageStreams", Lifecycle.class);
      sink.stop();
      streams.stop();
      // Kafka Streams left the group on close, rather than holding its partitions for the session timeout
      await().atMost(Duration.ofSeconds(10)).until(() -> membersOf(admin, STREAMS_GROUP) == 0
          && membersOf(admin, SINK_GROUP) == 0);
      Map<TopicPartition, Long> streamsDone = Map.copyOf(usageEnd);
      Map<TopicPartition, Long> sinkDone = committed(admin, SINK_GROUP);
      resetToZero(admin, STREAMS_GROUP, streamsDone.keySet());
      resetToZero(admin, SINK_GROUP, sinkDone.keySet());
      assertThat(committed(admin, SINK_GROUP).values()).containsOnly(0L);
      streams.start();
      sink.start();

      // then: both re-read everything they had read, and counted and wrote nothing new
      await().atMost(PATIENCE).until(() -> reached(committed(admin, STREAMS_GROUP), streamsDone)
          && reached(committed(admin, SINK_GROUP), sinkDone));
      assertThat(endOffsets(admin, TopologyNames.DEFAULT_USAGE_LEDGER)).isEqualTo(ledgerEnd);
      assertThat(rows(users)).isEqualTo(before);
      assertThat(totals(users)).isEqualTo(recount(users));
    }
  }

  @Test
  void shouldStopWritingWhilePostgresIsDownAndCatchUpWhenItReturns() throws Exception {
    // given
    String u4 = user();
    List<UsageEvent> events = List.of(
        call(u4, Instant.parse("2026-11-28T10:00:00Z"), "openai", "gpt-4o-mini", 1, 2, 3),
        call(u4, Instant.parse("2026-11-28T11:00:00Z"), "openai", "gpt-4o-mini", 4, 5, 6),
        call(u4, Instant.parse("2026-11-28T12:00:00Z"), "gemini", "gemini-2.0-flash", 7, 8, 9));
    try (Admin admin = admin()) {
      Map<TopicPartition, Long> committedBefore = committed(admin, SINK_GROUP);
      long ledgerBefore = sum(endOffsets(admin, TopologyNames.DEFAULT_USAGE_LEDGER));
      postgres.stop();
      try {
        // when
        produce(events.toArray(UsageEvent[]::new));

        // then: the writer keeps failing, and commits nothing: the counted usage waits in Kafka
        await().atMost(PATIENCE).untilAsserted(() -> {
          JsonNode health = health();
          assertThat(health.at("/components/sink/status").asString()).isEqualTo("DOWN");
          assertThat(health.at("/components/sink/details/failedWrites").asLong()).isGreaterThanOrEqualTo(2);
          assertThat(sum(endOffsets(admin, TopologyNames.DEFAULT_USAGE_LEDGER))).isGreaterThanOrEqualTo(ledgerBefore + 3);
        });
        assertThat(committed(admin, SINK_GROUP)).isEqualTo(committedBefore);
      } finally {
        // when: the same server comes back, same port, same data
        postgres.startAgain();
      }

      // then: the pool reconnects by itself (until then, queries fail as the writer's did)
      await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() -> {
        assertThat(eventIds(List.of(u4))).containsExactlyInAnyOrderElementsOf(
            events.stream().map(UsageEvent::getEventId).toList());
        assertThat(totals(List.of(u4))).containsExactlyInAnyOrder(
            new DailyTotal(u4, LocalDate.of(2026, 11, 28), "gemini", "gemini-2.0-flash", 1, 7, 8, 15, 9, 0),
            new DailyTotal(u4, LocalDate.of(2026, 11, 28), "openai", "gpt-4o-mini", 2, 5, 7, 12, 9, 0));
        assertThat(health().at("/components/sink/status").asString()).isEqualTo("UP");
      });
      assertThat(totals(List.of(u4))).isEqualTo(recount(List.of(u4)));
    }
  }

  @Test
  void shouldRetryWhilePostgresRejectsWritesAndLoseNothing() {
    // given: every ledger insert fails
    jdbc.execute("ALTER TABLE ai_usage RENAME TO ai_usage_offline");
    String u3 = user();
    List<UsageEvent> events = List.of(
        call(u3, Instant.parse("2026-11-28T10:00:00Z"), "openai", "gpt-4o-mini", 1, 1, 1),
        call(u3, Instant.parse("2026-11-28T11:00:00Z"), "openai", "gpt-4o-mini", 2, 2, 2),
        call(u3, Instant.parse("2026-11-29T12:00:00Z"), "gemini", "gemini-2.0-flash", 3, 3, 3));

    // when
    produce(events.toArray(UsageEvent[]::new));

    // then: the writer reports the outage, and no failed batch left rows behind
    await().atMost(PATIENCE).untilAsserted(() -> {
      JsonNode sink = health().at("/components/sink");
      assertThat(sink.at("/status").asString()).isEqualTo("DOWN");
      assertThat(sink.at("/details/lastError").asString()).contains("ai_usage");
      assertThat(sink.at("/details/failedWrites").asLong()).isGreaterThanOrEqualTo(2);
    });
    assertThat(jdbc.queryForObject("SELECT count(*) FROM ai_usage_offline WHERE user_id = ?", Long.class, u3))
        .isZero();

    // when: PostgreSQL accepts writes again
    jdbc.execute("ALTER TABLE ai_usage_offline RENAME TO ai_usage");

    // then
    await().atMost(PATIENCE).untilAsserted(() -> {
      assertThat(eventIds(List.of(u3))).containsExactlyInAnyOrderElementsOf(
          events.stream().map(UsageEvent::getEventId).toList());
      assertThat(totals(List.of(u3))).hasSize(2).isEqualTo(recount(List.of(u3)));
      assertThat(health().at("/components/sink/status").asString()).isEqualTo("UP");
    });
  }

  private Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
    int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int partition = 0; partition < partitions; partition++) {
      latest.put(new TopicPartition(topic, partition), OffsetSpec.latest());
    }
    Map<TopicPartition, Long> end = new HashMap<>();
    admin.listOffsets(latest).all().get().forEach((partition, info) -> end.put(partition, info.offset()));
    return end;
  }

  private static Map<TopicPartition, Long> committed(Admin admin, String group) throws Exception {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().forEach((partition, offset) -> {
      if (offset != null) {
        offsets.put(partition, offset.offset());
      }
    });
    return offsets;
  }

  private static int membersOf(Admin admin, String group) throws Exception {
    return admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().size();
  }

  private static void resetToZero(Admin admin, String group, Set<TopicPartition> partitions) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> zero = new HashMap<>();
    partitions.forEach(partition -> zero.put(partition, new OffsetAndMetadata(0)));
    admin.alterConsumerGroupOffsets(group, zero).all().get();
  }

  /** Whether every partition's committed offset is at least the given one. */
  private static boolean reached(Map<TopicPartition, Long> committed, Map<TopicPartition, Long> offsets) {
    return offsets.entrySet().stream()
        .allMatch(offset -> committed.getOrDefault(offset.getKey(), -1L) >= offset.getValue());
  }

  private static Map<TopicPartition, Long> nonEmpty(Map<TopicPartition, Long> endOffsets) {
    Map<TopicPartition, Long> withRecords = new HashMap<>(endOffsets);
    withRecords.values().removeIf(end -> end == 0);
    return withRecords;
  }

  private static long sum(Map<TopicPartition, Long> offsets) {
    return offsets.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Every column of the users' ledger and totals rows, recorded_at and updated_at included. */
  private Map<String, List<Map<String, Object>>> rows(List<String> users) {
    Object[] ids = {users.toArray(String[]::new)};
    return Map.of(
        "ai_usage", jdbc.queryForList(
            "SELECT *, xmin::text AS row_version FROM ai_usage WHERE user_id = ANY (?) ORDER BY event_id", ids),
        "ai_usage_daily_totals", jdbc.queryForList(
            "SELECT *, xmin::text AS row_version FROM ai_usage_daily_totals WHERE user_id = ANY (?) ORDER BY 1, 2, 3, 4",
            ids));
  }

  private static String user() {
    return "user-" + UUID.randomUUID();
  }

  private void produce(UsageEvent... events) {
    Map<String, Object> config = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(config,
        Topics.USAGE.keySerde().serializer(), Topics.USAGE.valueSerde().serializer())) {
      for (UsageEvent event : events) {
        producer.send(new ProducerRecord<>(Topics.USAGE.defaultName(), event.getUserId(), event));
      }
      producer.flush();
    }
  }

  private List<String> eventIds(List<String> users) {
    return jdbc.queryForList("SELECT event_id FROM ai_usage WHERE user_id = ANY (?)", String.class,
        (Object) users.toArray(String[]::new));
  }

  private List<DailyTotal> totals(List<String> users) {
    return jdbc.query(TOTALS, DailyTotal::of, (Object) users.toArray(String[]::new));
  }

  private List<DailyTotal> recount(List<String> users) {
    return jdbc.query(RECOUNT, DailyTotal::of, (Object) users.toArray(String[]::new));
  }

  /** A row of ai_usage_daily_totals, or of the recount of ai_usage. */
  record DailyTotal(String userId, LocalDate day, String provider, String model, long requests, long promptTokens,
      long completionTokens, long totalTokens, long costMicroUsd, long estimatedRequests) {

    static DailyTotal of(ResultSet row, int rowNumber) throws SQLException {
      return new DailyTotal(row.getString("user_id"), row.getObject("day", LocalDate.class), row.getString("provider"),
          row.getString("model"), row.getLong("requests"), row.getLong("prompt_tokens"),
          row.getLong("completion_tokens"), row.getLong("total_tokens"), row.getLong("cost_micro_usd"),
          row.getLong("estimated_requests"));
    }
  }

  private JsonNode health() throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }
}
