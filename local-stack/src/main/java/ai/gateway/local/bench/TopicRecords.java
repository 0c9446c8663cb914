package ai.gateway.local.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts the records each run put on the system's topics (end offsets before and after it), per request: a
 * figure without timing noise for what a request costs in Kafka traffic, which every record multiplies (a
 * produce, a fetch, a decode at each reader).
 */
final class TopicRecords implements AutoCloseable {

  /** The system's topics, and the broker's offsets topic: one record per partition of each consumer offset commit. */
  static final List<String> TOPICS = List.of("ai.jobs", "ai.replies", "ai.job-status", "ai.usage", "__consumer_offsets");

  private final Admin admin;
  private final Map<String, Map<String, Double>> perRequest = new LinkedHashMap<>();
  private Map<String, Long> before = Map.of();

  TopicRecords(String bootstrapServers) {
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  void start() {
    before = ends();
  }

  void stop(String run, long requests) {
    Map<String, Long> after = ends();
    Map<String, Double> counts = new LinkedHashMap<>();
    TOPICS.forEach(topic -> counts.put(topic,
        (after.getOrDefault(topic, 0L) - before.getOrDefault(topic, 0L)) / (double) Math.max(1, requests)));
    perRequest.put(run, counts);
  }

  /** A Markdown table of records per request for each counted run, or an empty string. */
  String markdown() {
    if (perRequest.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder("\nKafka records per request during each gateway run (end offsets before and after;"
        + " includes lease renewals and anything else written meanwhile):\n\n| run |");
    TOPICS.forEach(topic -> md.append(' ').append(topic).append(" |"));
    md.append("\n|---|").append("---|".repeat(TOPICS.size())).append('\n');
    perRequest.forEach((run, counts) -> {
      md.append("| ").append(run).append(" |");
      TOPICS.forEach(topic -> md.append(String.format(Locale.ROOT, " %.2f |", counts.get(topic))));
      md.append('\n');
    });
    return md.toString();
  }

  private Map<String, Long> ends() {
    try {
      Map<String, TopicDescription> topics = admin.describeTopics(TOPICS).allTopicNames().get();
      Map<TopicPartition, OffsetSpec> latest = topics.values().stream()
          .flatMap(topic -> topic.partitions().stream().map(p -> new TopicPartition(topic.name(), p.partition())))
          .collect(Collectors.toMap(Function.identity(), partition -> OffsetSpec.latest()));
      return admin.listOffsets(latest).all().get().entrySet().stream()
          .collect(Collectors.groupingBy(entry -> entry.getKey().topic(),
              Collectors.summingLong(entry -> entry.getValue().offset())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not read the topics' end offsets", e.getCause());
    }
  }

  @Override
  public void close() {
    admin.close();
  }
}
