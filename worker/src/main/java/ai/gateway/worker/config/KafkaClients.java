package ai.gateway.worker.config;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.stereotype.Component;

/**
 * The worker's plain Kafka clients, built on {@code spring.kafka.*} (bootstrap servers, security) with the
 * settings the job flow depends on forced here. Values stay bytes: the worker decodes them itself, so an
 * undecodable record is one skipped record instead of an exception inside {@code poll()}.
 */
@Component
public final class KafkaClients {

  private final KafkaProperties kafka;
  private final WorkerProperties worker;
  private final WorkerIdentity identity;

  KafkaClients(KafkaProperties kafka, WorkerProperties worker, WorkerIdentity identity) {
    this.kafka = kafka;
    this.worker = worker;
    this.identity = identity;
  }

  /** Consumer-group member for {@code ai.jobs}: offsets committed by the intake, never automatically. */
  public Consumer<String, byte[]> jobConsumer() {
    return groupConsumer(worker.groupId(), identity.id() + "-jobs");
  }

  /** Consumer-group member for {@code ai.batch-jobs} (the batch lane, its own group): as {@link #jobConsumer()}. */
  public Consumer<String, byte[]> batchJobConsumer() {
    return groupConsumer(worker.batchGroupId(), identity.id() + "-batch-jobs");
  }

  private Consumer<String, byte[]> groupConsumer(String groupId, String clientId) {
    Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, worker.maxPollRecords());
    // a misspelt topic name must not create a topic
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    // How long after a crash the worker's partitions, and so its unfinished jobs, move to another worker.
    config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) worker.sessionTimeout().toMillis());
    config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) worker.sessionTimeout().dividedBy(3).toMillis());
    // Cooperative: a worker joining or leaving moves only the partitions that change owner, instead of
    // revoking every partition of every member (and making all of them re-read their statuses) each time.
    config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Reads {@code ai.job-status} partitions by hand, without a group, positioned by the intake: what happened
   * to the jobs of the partitions this worker is assigned.
   */
  public Consumer<String, byte[]> statusConsumer() {
    Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, identity.id() + "-status");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** No group: assigned every partition by hand, so every worker sees every control record. */
  public Consumer<String, byte[]> controlConsumer() {
    Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, identity.id() + "-control");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    return new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** The one producer of every record this worker writes, so the records of one job keep their order. */
  public Producer<String, byte[]> producer() {
    Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, identity.id() + "-publisher");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // Replies stream tokens to a waiting client: every millisecond of batching is latency on each chunk.
    // Kafka 4 raised the default linger to 5 ms; the one producer carries replies, so it sends at once.
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    // send() blocks while it fetches metadata or waits for buffer space; bounded, and only ever on the
    // publisher's own thread, never on an event loop.
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
  }
}
