package ai.gateway.usage.topology;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Properties;
import java.util.stream.Stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the topology: creates missing topics, then starts {@link KafkaStreams}; closes it on shutdown.
 * Starts before the PostgreSQL writer and stops after it (lower phase).
 */
final class UsageStreams implements SmartLifecycle {

  static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 100;
  private static final Logger log = LoggerFactory.getLogger(UsageStreams.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final Topology topology;
  private final Properties config;
  private final MissingTopics topics;
  private final MeterRegistry meters;
  private final boolean cleanUpOnStop;
  private volatile @Nullable KafkaStreams streams;
  private volatile boolean wasRunning;
  private @Nullable KafkaStreamsMetrics metrics;

  UsageStreams(Topology topology, Properties config, MissingTopics topics, MeterRegistry meters, boolean cleanUpOnStop) {
    this.topology = topology;
    this.config = config;
    this.topics = topics;
    this.meters = meters;
    this.cleanUpOnStop = cleanUpOnStop;
  }

  @Override
  public synchronized void start() {
    topics.create();
    KafkaStreams created = new KafkaStreams(topology, config);
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
    running.close(CLOSE_TIMEOUT);
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

  /** Whether the client has reached RUNNING since it started: a later rebalance is not an outage. */
  boolean hasBeenRunning() {
    return wasRunning;
  }
}
