package ai.gateway.api.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The dispatch logic of the reply consumer, on Kafka's own {@code MockConsumer} (the ITs run it on a broker). */
class KafkaReplyStreamTest {

  private static final String TOPIC = "ai.replies";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

  private final IdleMockConsumer consumer = new IdleMockConsumer();
  /** Replays are KafkaReplyTail's; the live path under test never asks for one. */
  private static final JobReplays NO_REPLAYS = (jobId, createdAt, after) -> reactor.core.publisher.Flux.error(
      new UnsupportedOperationException());
  private final FixedClaim claim = new FixedClaim(0);
  private final KafkaReplyStream replies = new KafkaReplyStream(() -> consumer, claim,
      NO_REPLAYS,
      new KafkaReplyStream.Settings(TOPIC, 16, Duration.ofSeconds(5), Duration.ofMillis(50),
          Duration.ofSeconds(2), Duration.ofSeconds(2)));
  private long nextOffset = 5;

  @BeforeEach
  void setUp() {
    Node node = new Node(0, "localhost", 9092);
    consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, node, null, null),
        new PartitionInfo(TOPIC, 1, node, null, null)));
    consumer.updateEndOffsets(Map.of(P0, 5L, P1, 7L));
    replies.start();
  }

  @AfterEach
  void tearDown() {
    replies.stop();
  }

  @Test
  void shouldAssignOnlyTheClaimedPartitionAtItsEndBeforeBeingReady() {
    assertThat(replies.ready()).isTrue();
    assertThat(claim.claimedWith).isEqualTo(2);
    assertThat(consumer.assignment()).containsExactly(P0);
    assertThat(replies.assignment()).containsExactly(P0);
    assertThat(consumer.position(P0)).isEqualTo(5);
  }

  @Test
  void shouldRouteHereOnlyJobIdsThatHashToTheClaimedPartition() {
    // given: the default partitioner's choice for these keys on 2 partitions
    List<String> ids = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "job-" + i).toList();

    // then
    assertThat(ids).allSatisfy(id -> assertThat(replies.routesHere(id))
        .isEqualTo(org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(
            id.getBytes(java.nio.charset.StandardCharsets.UTF_8), 2) == 0));
    assertThat(ids).anyMatch(replies::routesHere).anyMatch(id -> !replies.routesHere(id));
  }

  @Test
  void shouldTurnUnreadyWhenThePartitionCountChanges() {
    // given
    assertThat(replies.ready()).isTrue();
    Node node = new Node(0, "localhost", 9092);

    // when
    consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, node, null, null),
        new PartitionInfo(TOPIC, 1, node, null, null), new PartitionInfo(TOPIC, 2, node, null, null)));

    // then: no new job can be routed with the stale count
    await().atMost(Duration.ofSeconds(5)).until(() -> !replies.ready());
    assertThat(replies.notReadyReason()).contains("partition count");
  }

  @Test
  void shouldReleaseTheClaimWhenStopped() {
    replies.stop();

    assertThat(claim.released).isTrue();
  }

  @Test
  void shouldDeliverOneJobsEventsUntilItsTerminalEventAndDropOthers() {
    StepVerifier.create(replies.events("job-1"))
        .then(() -> {
          add("job-2", event("job-2", 1, GenerationEventType.CHUNK));
          add("job-1", event("job-1", 1, GenerationEventType.CHUNK));
          add("job-1", event("job-1", 2, GenerationEventType.DONE));
          add("job-1", event("job-1", 3, GenerationEventType.CHUNK));
        })
        .expectNextMatches(event -> event.getJobId().equals("job-1") && event.getSeq() == 1)
        .expectNextMatches(event -> event.getType() == GenerationEventType.DONE)
        .expectComplete()
        .verify(Duration.ofSeconds(5));

    assertThat(replies.listenerCount()).isZero();
  }

  @Test
  void shouldFailAListenerThatDoesNotKeepUp() {
    StepVerifier.create(replies.events("job-1"), 0)
        .then(() -> {
          for (int seq = 1; seq <= 100; seq++) {
            add("job-1", event("job-1", seq, GenerationEventType.CHUNK));
          }
          // Request only once the poll thread has overflowed the listener's buffer (which drops the listener);
          // requesting earlier would let it keep up, depending on thread timing.
          await().atMost(Duration.ofSeconds(5)).until(() -> replies.listenerCount() == 0);
        })
        .thenRequest(Long.MAX_VALUE)
        .thenConsumeWhile(event -> true)
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .verify(Duration.ofSeconds(5));

    assertThat(replies.listenerCount()).isZero();
  }

  @Test
  void shouldFailAListenerWhoseReplyCannotBeDecoded() {
    StepVerifier.create(replies.events("job-1"))
        .then(() -> consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, nextOffset++, "job-1", new byte[] {1, 2, 3})))
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .verify(Duration.ofSeconds(5));
  }

  @Test
  void shouldForgetAListenerThatCancels() {
    StepVerifier.create(replies.events("job-1"))
        .then(() -> assertThat(replies.listenerCount()).isEqualTo(1))
        .thenCancel()
        .verify();

    assertThat(replies.listenerCount()).isZero();
  }

  @Test
  void shouldRefuseASecondListenerForTheSameJob() {
    StepVerifier.create(replies.events("job-1"))
        .then(() -> StepVerifier.create(replies.events("job-1")).expectError(IllegalStateException.class).verify())
        .thenCancel()
        .verify();
  }

  @Test
  void shouldFailLiveJobsAndTurnUnreadyWhenKafkaStopsAnsweringThenRecoverByItself() {
    // given: a reply stream whose broker can go away (each consumer it makes sees the same broker)
    AtomicBoolean down = new AtomicBoolean();
    KafkaReplyStream outage = new KafkaReplyStream(() -> new BrokerConsumer(down), new FixedClaim(0),
        NO_REPLAYS,
        new KafkaReplyStream.Settings(TOPIC, 16, Duration.ofSeconds(5), Duration.ofMillis(50), Duration.ofMillis(200),
            Duration.ofSeconds(2)));
    outage.start();
    try {
      assertThat(outage.ready()).isTrue();

      // when the broker stops answering, a live job fails with a retryable UNAVAILABLE, not at its deadline
      StepVerifier.create(outage.events("job-1"))
          .then(() -> down.set(true))
          .expectErrorSatisfies(e -> {
            assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.UNAVAILABLE);
            assertThat(((ApiException) e).error().retryable()).isTrue();
            assertThat(((ApiException) e).error().detail()).contains("lost its connection to Kafka");
            assertThat(((ApiException) e).error().retryAfter()).isEqualTo(Duration.ofSeconds(2));
          })
          .verify(Duration.ofSeconds(5));
      assertThat(outage.ready()).isFalse();
      assertThat(outage.listenerCount()).isZero();

      // then: ready again once the broker answers, without a restart
      down.set(false);
      await().atMost(Duration.ofSeconds(10)).until(outage::ready);
    } finally {
      outage.stop();
    }
  }

  private void add(String key, GenerationEvent event) {
    consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, nextOffset++, key,
        Topics.REPLIES.valueSerde().serializer().serialize(TOPIC, event)));
  }

  private static GenerationEvent event(String jobId, int seq, GenerationEventType type) {
    return GenerationEvent.newBuilder().setJobId(jobId).setAttempt(1).setSeq(seq).setType(type)
        .setContent(type == GenerationEventType.CHUNK ? "x" : null).setTimestamp(Instant.now()).build();
  }

  private static final class FixedClaim implements PartitionClaims {

    private final int partition;
    volatile int claimedWith = -1;
    volatile boolean released;

    FixedClaim(int partition) {
      this.partition = partition;
    }

    @Override
    public int claim(int partitionCount) {
      claimedWith = partitionCount;
      return partition;
    }

    @Override
    public void release() {
      released = true;
    }
  }

  /** A consumer of a broker that can stop answering: its requests then time out, as a real client's do. */
  private static final class BrokerConsumer extends IdleMockConsumer {

    private final AtomicBoolean down;

    BrokerConsumer(AtomicBoolean down) {
      this.down = down;
      Node node = new Node(0, "localhost", 9092);
      updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, node, null, null)));
      updateEndOffsets(Map.of(P0, 5L));
    }

    @Override
    public synchronized Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions, Duration timeout) {
      failIfDown(timeout);
      return super.endOffsets(partitions, timeout);
    }

    @Override
    public synchronized List<PartitionInfo> partitionsFor(String topic, Duration timeout) {
      failIfDown(timeout);
      return super.partitionsFor(topic, timeout);
    }

    private void failIfDown(Duration timeout) {
      if (down.get()) {
        LockSupport.parkNanos(timeout.toNanos());
        throw new org.apache.kafka.common.errors.TimeoutException("no answer within " + timeout);
      }
    }
  }

  /** MockConsumer's poll returns at once; this one idles briefly like a real poll, so the loop does not spin a core. */
  private static class IdleMockConsumer extends MockConsumer<String, byte[]> {

    IdleMockConsumer() {
      super("latest");
    }

    @Override
    public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
      ConsumerRecords<String, byte[]> records = super.poll(timeout);
      if (records.isEmpty()) {
        LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
      }
      return records;
    }
  }
}
