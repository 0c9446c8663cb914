package ai.gateway.schemas;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import ai.gateway.schemas.serde.AvroSerde;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageTotals;
import ai.gateway.schemas.v1.UsageTotalsKey;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;

/** Every topic of DESIGN.md. Names are defaults: each service can rename them in its configuration. */
public final class Topics {

  public static final TopicSpec<String, GenerationJob> JOBS =
      new TopicSpec<>("ai.jobs", Serdes.String(), new AvroSerde<>(GenerationJob.class), false);
  public static final TopicSpec<String, GenerationJob> BATCH_JOBS =
      new TopicSpec<>("ai.batch-jobs", Serdes.String(), new AvroSerde<>(GenerationJob.class), false);
  public static final TopicSpec<String, GenerationEvent> REPLIES =
      new TopicSpec<>("ai.replies", Serdes.String(), new AvroSerde<>(GenerationEvent.class), false);
  public static final TopicSpec<String, JobStatus> JOB_STATUS =
      new TopicSpec<>("ai.job-status", Serdes.String(), new AvroSerde<>(JobStatus.class), true);
  public static final TopicSpec<String, JobControl> JOB_CONTROL =
      new TopicSpec<>("ai.job-control", Serdes.String(), new AvroSerde<>(JobControl.class), false);
  public static final TopicSpec<String, ProviderCapabilities> PROVIDERS =
      new TopicSpec<>("ai.providers", Serdes.String(), new AvroSerde<>(ProviderCapabilities.class), true);
  public static final TopicSpec<String, UsageEvent> USAGE =
      new TopicSpec<>("ai.usage", Serdes.String(), new AvroSerde<>(UsageEvent.class), false);
  public static final TopicSpec<UsageTotalsKey, UsageTotals> USAGE_TOTALS =
      new TopicSpec<>("ai.usage.totals", new AvroSerde<>(UsageTotalsKey.class), new AvroSerde<>(UsageTotals.class), true);

  /**
   * A header on {@code ai.job-status} records: the job's {@code JobKind} by name ({@code SYNC}, {@code STREAM},
   * {@code ASYNC}, {@code BATCH}), so a consumer that keeps only some kinds skips the others without decoding them.
   * Records without it (older workers) are of any kind.
   */
  public static final String JOB_KIND_HEADER = "job-kind";

  public static final List<TopicSpec<?, ?>> ALL =
      List.of(JOBS, BATCH_JOBS, REPLIES, JOB_STATUS, JOB_CONTROL, PROVIDERS, USAGE, USAGE_TOTALS);

  /**
   * The topics to create where they do not exist yet, compacted ones with {@code cleanup.policy=compact}.
   *
   * @param names maps a default name to the configured one
   */
  public static List<NewTopic> newTopics(int partitions, short replicationFactor, UnaryOperator<String> names) {
    return ALL.stream()
        .map(spec -> {
          NewTopic topic = new NewTopic(names.apply(spec.defaultName()), partitions, replicationFactor);
          return spec.compacted() ? topic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)) : topic;
        })
        .toList();
  }

  private Topics() {
  }
}
