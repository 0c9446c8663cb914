package ai.gateway.usage;

import static ai.gateway.usage.UsageFixtures.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.serde.AvroSerde;
import ai.gateway.schemas.serde.ReleasedSchemas;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import ai.gateway.schemas.v1.UsageTotalsKey;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * docs/analytics.md, done as it says: the aggregator runs (the application on an in-process KRaft broker and
 * PostgreSQL), and a plain {@code KafkaConsumer<byte[], byte[]>} configured as the doc says reads
 * {@code ai.usage} and {@code ai.usage.totals} and decodes them with the schemas artifact. The doc's code
 * blocks are copied from this class; {@code AnalyticsDocTest} fails when they drift apart.
 */
class AnalyticsConsumerIT {

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final LocalDate NOV_27 = LocalDate.of(2026, 11, 27);
  private static final LocalDate NOV_28 = LocalDate.of(2026, 11, 28);

  private static EmbeddedKafkaKraftBroker broker;
  private static RestartablePostgres postgres;
  private static ConfigurableApplicationContext aggregator;

  // the analytics consumer's decoders and state, as in the doc
  private final AvroSerde<UsageEvent> usageValues = new AvroSerde<>(UsageEvent.class);
  private final AvroSerde<UsageTotalsKey> totalsKeys = new AvroSerde<>(UsageTotalsKey.class);
  private final AvroSerde<UsageTotals> totalsValues = new AvroSerde<>(UsageTotals.class);
  private final Map<String, UsageEvent> eventsById = new LinkedHashMap<>();
  private final Map<UsageTotalsKey, UsageTotals> latestTotals = new HashMap<>();
  /** Every record read, to check the doc's claims about the raw topics. */
  private final List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();

  @BeforeAll
  static void startTheAggregator() {
    broker = new EmbeddedKafkaKraftBroker(1, 2);
    broker.brokerProperties(Map.of(
        "transaction.state.log.replication.factor", "1",
        "transaction.state.log.min.isr", "1",
        "group.initial.rebalance.delay.ms", "0"));
    broker.afterPropertiesSet();
    postgres = RestartablePostgres.start();
    aggregator = new SpringApplicationBuilder(UsageAggregatorApplication.class).profiles("test").run(
        "--spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
        "--spring.datasource.url=" + postgres.jdbcUrl(),
        "--server.port=0",
        "--topics.partitions=2");
  }

  @AfterAll
  static void stopTheAggregator() {
    aggregator.close();
    postgres.close();
    broker.destroy();
  }

  @Test
  void shouldGiveAPlainConsumerDistinctEventsAndAbsoluteDailyTotals() throws Exception {
    // given: what workers publish, one event twice (a producer retry)
    String alice = "user-" + UUID.randomUUID();
    String bob = "user-" + UUID.randomUUID();
    UsageEvent late = call(alice, Instant.parse("2026-11-27T23:59:59Z"), "openai", "gpt-4o-mini", 100, 50, 1_200);
    UsageEvent early = call(alice, Instant.parse("2026-11-28T00:00:01Z"), "openai", "gpt-4o-mini", 10, 5, 120);
    UsageEvent claude = call(alice, Instant.parse("2026-11-28T09:00:00Z"), "anthropic", "claude-sonnet", 20, 30, 900);
    UsageEvent bobs = call(bob, Instant.parse("2026-11-28T10:00:00Z"), "openai", "gpt-4o-mini", 1, 2, 3);
    publish(late, early, claude, early, bobs);

    // when
    Map<String, Object> config = analyticsConsumerConfig(broker.getBrokersAsString());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(List.of("ai.usage", "ai.usage.totals"));
      await().atMost(PATIENCE).untilAsserted(() -> {
        pollOnce(consumer);

        // then: ai.usage holds the duplicate, and deduplicating by eventId leaves each call once
        assertThat(usageRecords()).hasSize(5);
        assertThat(eventsById.keySet()).containsExactlyInAnyOrder(
            late.getEventId(), early.getEventId(), claude.getEventId(), bobs.getEventId());
        // and the last totals record of each key is the absolute total of the distinct events
        assertThat(counts(latestTotals)).isEqualTo(recountOfDistinctEvents());
        assertThat(latestTotals.values())
            .extracting(UsageTotals::getUserId, UsageTotals::getDay, UsageTotals::getProvider, UsageTotals::getRequests,
                UsageTotals::getTotalTokens, UsageTotals::getCostMicroUsd)
            .containsExactlyInAnyOrder(
                tuple(alice, NOV_27, "openai", 1L, 150L, 1_200L),
                tuple(alice, NOV_28, "openai", 1L, 15L, 120L),
                tuple(alice, NOV_28, "anthropic", 1L, 50L, 900L),
                tuple(bob, NOV_28, "openai", 1L, 3L, 3L));
      });
    }

    // then: the daily cost report
    Map<LocalDate, Long> costMicroUsdPerDay = dailyCostReport();
    assertThat(costMicroUsdPerDay).containsExactly(Map.entry(NOV_27, 1_200L), Map.entry(NOV_28, 1_023L));

    // and the raw records are as the doc describes them
    for (ConsumerRecord<byte[], byte[]> record : usageRecords()) {
      UsageEvent event = usageValues.deserialize(record.topic(), record.value());
      assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(event.getUserId());
      assertThat(writerFingerprint(record.value()))
          .isEqualTo(SchemaNormalization.parsingFingerprint64(UsageEvent.getClassSchema()));
      assertThat(decodeWithoutKafka(record)).isEqualTo(event);
    }
    assertThat(requestsInReadOrderPerKey().values()).allSatisfy(requests -> assertThat(requests).isSorted());
    assertThat(foldedByRequests()).isEqualTo(latestTotals);
  }

  @Test
  void shouldBeWrittenByTransactionsToACompactedTopic() throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString()))) {
      // exactly-once Kafka Streams writes in transactions, whose aborted records only read_committed hides
      await().atMost(PATIENCE).untilAsserted(() -> assertThat(admin.listTransactions().all().get())
          .extracting(TransactionListing::transactionalId).anyMatch(id -> id.startsWith("usage-aggregator-")));
      ConfigResource totals = new ConfigResource(ConfigResource.Type.TOPIC, "ai.usage.totals");
      assertThat(admin.describeConfigs(List.of(totals)).all().get().get(totals)
          .get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
    }
  }

  @Test
  void shouldRefuseARecordOfAnUnknownWriterSchemaUntilThatSchemaIsAdded() throws Exception {
    // given: a later release of UsageEvent with an optional field, written by an upgraded worker
    Schema newerWriterSchema = withField(UsageEvent.getClassSchema(),
        "{\"name\":\"region\",\"type\":[\"null\",\"string\"],\"default\":null}");
    UsageEvent event = call("u1", Instant.parse("2026-11-28T10:00:00Z"), "openai", "gpt-4o-mini", 1, 2, 3);
    GenericRecord current = new BinaryMessageDecoder<GenericRecord>(GenericData.get(), UsageEvent.getClassSchema())
        .decode(UsageEvent.getEncoder().encode(event));
    GenericRecord newer = new GenericData.Record(newerWriterSchema);
    UsageEvent.getClassSchema().getFields().forEach(field -> newer.put(field.name(), current.get(field.name())));
    newer.put("region", "eu");
    byte[] bytes = toBytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), newerWriterSchema).encode(newer));

    // when / then: an old consumer cannot know the newer schema by its fingerprint, and says so
    assertThatThrownBy(() -> usageValues.deserialize("ai.usage", bytes))
        .isInstanceOf(SerializationException.class)
        .hasCauseInstanceOf(MissingSchemaException.class);

    // when: the newer writer schema is added (or the schemas artifact upgraded)
    SchemaStore.Cache writerSchemas = new SchemaStore.Cache();
    ReleasedSchemas.forType(UsageEvent.class).forEach(writerSchemas::addSchema);
    BinaryMessageDecoder<UsageEvent> decoder = UsageEvent.createDecoder(writerSchemas);
    decoder.addSchema(newerWriterSchema);

    // then: the record reads with the classes it has; the new field is skipped
    assertThat(decoder.decode(bytes).getCostMicroUsd()).isEqualTo(3);
    assertThat(decoder.decode(bytes)).isEqualTo(event);
  }

  static Map<String, Object> analyticsConsumerConfig(String bootstrapServers) {
    return Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "analytics-daily-cost",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
  }

  private void pollOnce(KafkaConsumer<byte[], byte[]> consumer) {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
    records.forEach(read::add);
    for (ConsumerRecord<byte[], byte[]> record : records) {
      if (record.topic().equals("ai.usage")) {
        // key: the user id as UTF-8; value: a UsageEvent, possibly one already seen (at-least-once)
        UsageEvent event = usageValues.deserialize(record.topic(), record.value());
        eventsById.putIfAbsent(event.getEventId(), event);
      } else {
        // key: a UsageTotalsKey; value: the absolute totals of that key, replacing the ones before
        UsageTotalsKey key = totalsKeys.deserialize(record.topic(), record.key());
        UsageTotals totals = totalsValues.deserialize(record.topic(), record.value());
        latestTotals.put(key, totals);
      }
    }
  }

  private Map<LocalDate, Long> dailyCostReport() {
    return latestTotals.values().stream().collect(Collectors.groupingBy(
        UsageTotals::getDay, TreeMap::new, Collectors.summingLong(UsageTotals::getCostMicroUsd)));
  }

  private static UsageEvent decodeWithoutKafka(ConsumerRecord<byte[], byte[]> record) throws Exception {
    SchemaStore.Cache writerSchemas = new SchemaStore.Cache();
    ReleasedSchemas.forType(UsageEvent.class).forEach(writerSchemas::addSchema);
    BinaryMessageDecoder<UsageEvent> decoder = UsageEvent.createDecoder(writerSchemas);
    return decoder.decode(record.value());
  }

  private static long writerFingerprint(byte[] value) {
    ByteBuffer header = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(new byte[] {header.get(0), header.get(1)}).containsExactly(0xC3, 0x01);
    return header.getLong(2);
  }

  /** The independent recount: distinct events summed per user, UTC day, provider and model. */
  private Map<UsageTotalsKey, List<Long>> recountOfDistinctEvents() {
    Map<UsageTotalsKey, List<Long>> sums = new HashMap<>();
    for (UsageEvent event : eventsById.values()) {
      LocalDate day = LocalDate.ofInstant(event.getOccurredAt(), ZoneOffset.UTC);
      UsageTotalsKey key = new UsageTotalsKey(event.getUserId(), day, event.getProvider(), event.getModel());
      List<Long> one = List.of(1L, event.getPromptTokens(), event.getCompletionTokens(), event.getTotalTokens(),
          event.getCostMicroUsd(), event.getEstimated() ? 1L : 0L);
      sums.merge(key, one, (a, b) -> IntStream.range(0, a.size()).mapToObj(i -> a.get(i) + b.get(i)).toList());
    }
    return sums;
  }

  private static Map<UsageTotalsKey, List<Long>> counts(Map<UsageTotalsKey, UsageTotals> totals) {
    Map<UsageTotalsKey, List<Long>> counts = new HashMap<>();
    totals.forEach((key, value) -> counts.put(key, List.of(value.getRequests(), value.getPromptTokens(),
        value.getCompletionTokens(), value.getTotalTokens(), value.getCostMicroUsd(), value.getEstimatedRequests())));
    return counts;
  }

  private List<ConsumerRecord<byte[], byte[]>> usageRecords() {
    return read.stream().filter(record -> record.topic().equals("ai.usage")).toList();
  }

  /** The totals read, folded with the rule that also survives an application reset of the aggregator. */
  private Map<UsageTotalsKey, UsageTotals> foldedByRequests() {
    Map<UsageTotalsKey, UsageTotals> robustTotals = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> record : read) {
      if (record.topic().equals("ai.usage.totals")) {
        UsageTotalsKey key = totalsKeys.deserialize(record.topic(), record.key());
        UsageTotals totals = totalsValues.deserialize(record.topic(), record.value());
        robustTotals.merge(key, totals,
            (held, incoming) -> incoming.getRequests() >= held.getRequests() ? incoming : held);
      }
    }
    return robustTotals;
  }

  private Map<UsageTotalsKey, List<Long>> requestsInReadOrderPerKey() {
    Map<UsageTotalsKey, List<Long>> requests = new HashMap<>();
    read.stream().filter(record -> record.topic().equals("ai.usage.totals")).forEach(record ->
        requests.computeIfAbsent(totalsKeys.deserialize(record.topic(), record.key()), key -> new ArrayList<>())
            .add(totalsValues.deserialize(record.topic(), record.value()).getRequests()));
    return requests;
  }

  private static void publish(UsageEvent... events) {
    Map<String, Object> config = Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.getBrokersAsString(),
        ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(config,
        Topics.USAGE.keySerde().serializer(), Topics.USAGE.valueSerde().serializer())) {
      for (UsageEvent event : events) {
        producer.send(new ProducerRecord<>("ai.usage", event.getUserId(), event));
      }
      producer.flush();
    }
  }

  private static Schema withField(Schema schema, String fieldJson) {
    String json = schema.toString();
    int end = json.lastIndexOf(']');
    return new Schema.Parser().parse(json.substring(0, end) + "," + fieldJson + json.substring(end));
  }

  private static byte[] toBytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
