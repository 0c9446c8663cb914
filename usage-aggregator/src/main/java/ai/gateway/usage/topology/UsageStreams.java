package ai.gateway.usage.topology;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the topology: prepares it (missing topics created, the dedup retention checked against
 * {@code ai.usage}), then starts {@link KafkaStreams}; closes it on shutdown. Starts before the PostgreSQL
 * writer and stops after it (lower phase).
 */
final class UsageStreams implements SmartLifecycle {

  /** What a start runs on: the topology, built with the dedup retention resolved against the topic. */
  record Plan(Topology topology, Duration dedupRetention) {
  }

  static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 100;
  private static final Logger log = LoggerFactory.getLogger(UsageStreams.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final Supplier<Plan> plans;
  private final Properties config;
  private final MeterRegistry meters;
  private final boolean cleanUpOnStop;
  private volatile @Nullable KafkaStreams streams;
  private volatile boolean wasRunning;
  private volatile @Nullable Duration dedupRetention;
  private @Nullable KafkaStreamsMetrics metrics;

  /**
   * @param plans run at every start, so a restart re-checks the topic: its retention may have changed
   */
  UsageStreams(Supplier<Plan> plans, Properties config, MeterRegistry meters, boolean cleanUpOnStop) {
    this.plans = plans;
    this.config = config;
    this.meters = meters;
    this.cleanUpOnStop = cleanUpOnStop;
  }

  @Override
  public synchronized void start() {
    Plan plan = plans.get();
    log.info("remembering usage eventIds for {}", plan.dedupRetention());
    dedupRetention = plan.dedupRetention();
    wasRunning = false;
    KafkaStreams created = new KafkaStreams(plan.topology(), config);
    created.setStateListener((newState, oldState) -> {
      log.info("Kafka Streams {} -> {}", oldState, newState);
      if (newState == KafkaStreams.State.RUNNING) {
        wasRunning = true;
      }
    });
    created.setUncaughtExceptionHandler(e -> {
      // The whole client stops and health turns DOWN: replacing the thread would retry a record that
      // fails deterministically forever, and skipping it would lose usage.
      log.error("Kafka Streams failed; stopping the client", e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    KafkaStreamsMetrics bound = new KafkaStreamsMetrics(created);
    bound.bindTo(meters);
    metrics = bound;
    streams = created;
    created.start();
  }

  @Override
  public synchronized void stop() {
    KafkaStreams running = streams;
    if (running == null) {
      return;
    }
    // Leaving the group hands this instance's tasks to the others at once. Kafka Streams stays in the group
    // by default (for static members); with dynamic membership, as here, the tasks would wait for the
    // session timeout (45 s), and usage would stop reaching PostgreSQL for that long on every deploy.
    running.close(CloseOptions.groupMembershipOperation(GroupMembershipOperation.LEAVE_GROUP)
        .withTimeout(CLOSE_TIMEOUT));
    if (metrics != null) {
      metrics.close();
    }
    if (cleanUpOnStop) {
      running.cleanUp();
      // cleanUp() leaves the application's directory and its metadata file behind; only that directory
      // is removed, never the configured state.dir itself, which might be shared with other data.
      Path stateDir = Path.of(config.getProperty(StreamsConfig.STATE_DIR_CONFIG));
      deleteTree(stateDir.resolve(config.getProperty(StreamsConfig.APPLICATION_ID_CONFIG)));
      deleteIfEmpty(stateDir);
    }
    streams = null;
  }

  private static void deleteTree(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(dir)) {
      for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      log.debug("state directory {} not fully removed: {}", dir, e.toString());
    }
  }

  private static void deleteIfEmpty(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      log.debug("state directory {} not removed: {}", dir, e.toString());
    }
  }

  @Override
  public boolean isRunning() {
    return streams != null;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /** The client's state; {@link KafkaStreams.State#NOT_RUNNING} before start and after stop. */
  KafkaStreams.State state() {
    KafkaStreams current = streams;
    return current == null ? KafkaStreams.State.NOT_RUNNING : current.state();
  }

  /** The dedup retention of the running topology; null before the first start. */
  @Nullable Duration dedupRetention() {
    return dedupRetention;
  }

  /** Whether the client has reached RUNNING since it started: a later rebalance is not an outage. */
  boolean hasBeenRunning() {
    return wasRunning;
  }
}
