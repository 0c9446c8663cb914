package ai.gateway.worker.config;

import ai.gateway.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.stereotype.Component;

/**
 * Creates the design's topics that do not exist yet, before any consumer or producer starts, with
 * KafkaAdmin's connection settings. Existing topics are left exactly as they are: KafkaAdmin's own
 * {@code NewTopic} handling would also raise the partition count of an existing topic to the configured
 * one, which remaps every key, and for the compacted {@code ai.job-status} and {@code ai.providers} leaves
 * a key's old value alive in its old partition. Partition changes are an operator's decision.
 */
@Component
final class MissingTopics implements SmartInitializingSingleton {

  private static final Logger log = LoggerFactory.getLogger(MissingTopics.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final KafkaAdmin kafkaAdmin;
  private final TopicsProperties topics;

  MissingTopics(KafkaAdmin kafkaAdmin, TopicsProperties topics) {
    this.kafkaAdmin = kafkaAdmin;
    this.topics = topics;
  }

  @Override
  public void afterSingletonsInstantiated() {
    List<NewTopic> wanted = Topics.newTopics(topics.partitions(), topics.replicationFactor(), topics::nameOf);
    Map<String, Object> config = new HashMap<>(kafkaAdmin.getConfigurationProperties());
    // bounded: without a broker the worker still starts, after at most about this long
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    Admin admin = Admin.create(config);
    try {
      Set<String> existing = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(topic -> !existing.contains(topic.name())).toList();
      if (missing.isEmpty()) {
        return;
      }
      try {
        admin.createTopics(missing).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        log.info("created topics {}", missing.stream().map(NewTopic::name).toList());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
        // another instance created them at the same moment
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      // as KafkaAdmin does by default: the worker still starts, its clients retry until the broker is there
      log.error("could not create missing topics: {}", e.toString());
    } finally {
      admin.close(Duration.ofSeconds(1));
    }
  }
}
