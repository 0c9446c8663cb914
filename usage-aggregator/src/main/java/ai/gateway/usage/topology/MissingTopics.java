package ai.gateway.usage.topology;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import ai.gateway.schemas.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics this service reads or writes where they do not exist yet, and never alters existing
 * ones: adding partitions to {@code ai.usage} would move users to other partitions, away from the
 * deduplication state that remembers their events.
 */
final class MissingTopics {

  private static final Logger log = LoggerFactory.getLogger(MissingTopics.class);

  private final Map<String, Object> adminConfig;
  private final List<NewTopic> wanted;
  private final Duration timeout;

  MissingTopics(Map<String, Object> adminConfig, List<NewTopic> wanted, Duration timeout) {
    this.adminConfig = Map.copyOf(adminConfig);
    this.wanted = List.copyOf(wanted);
    this.timeout = timeout;
  }

  /**
   * {@code ai.usage} and {@code ai.usage.totals} as {@link Topics#newTopics} describes them (the totals
   * compacted), plus the ledger topic.
   */
  static List<NewTopic> of(TopologyNames names, int partitions, short replicationFactor) {
    Map<String, String> configured = Map.of(
        Topics.USAGE.defaultName(), names.usage(),
        Topics.USAGE_TOTALS.defaultName(), names.usageTotals());
    List<NewTopic> topics = new ArrayList<>(
        Topics.newTopics(partitions, replicationFactor, name -> configured.getOrDefault(name, name)).stream()
            .filter(topic -> configured.containsValue(topic.name()))
            .toList());
    topics.add(new NewTopic(names.usageLedger(), partitions, replicationFactor));
    return topics;
  }

  void create() {
    try (Admin admin = Admin.create(adminConfig)) {
      Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(topic -> !existing.contains(topic.name())).toList();
      if (missing.isEmpty()) {
        return;
      }
      admin.createTopics(missing).values().forEach((name, created) -> {
        try {
          created.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          log.info("created topic {}", name);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) { // another instance was faster
            throw new IllegalStateException("cannot create topic " + name, e.getCause());
          }
        } catch (TimeoutException e) {
          throw new IllegalStateException("Kafka did not create topic " + name + " within " + timeout, e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while creating topic " + name, e);
        }
      });
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot list Kafka topics within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing Kafka topics", e);
    }
  }
}
