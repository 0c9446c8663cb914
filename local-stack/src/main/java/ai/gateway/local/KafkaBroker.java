package ai.gateway.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.jspecify.annotations.Nullable;

/**
 * A single-node KRaft broker (combined broker and controller) running in this JVM, for the local run and
 * the cross-service tests. Not {@code KafkaClusterTestKit}: that boots unstable metadata versions
 * (STACK-NOTES, pitfall 3), so features would look available that a real 4.2.1 cluster lacks.
 *
 * <p>{@link #stop()} and {@link #start()} make a real outage for the services: the broker and controller
 * listeners close (connections refused), and the restart binds the same ports with the same log directory,
 * so topics, records and committed offsets survive, as they would across a broker restart in production.
 */
public final class KafkaBroker implements AutoCloseable {

  private final Properties config;
  private final int port;
  private @Nullable KafkaRaftServer server;

  private KafkaBroker(Properties config, int port) {
    this.config = config;
    this.port = port;
  }

  /** Formats {@code logDir} if it is new and starts the broker on {@code port} (0 picks a free one). */
  public static KafkaBroker start(int port, Path logDir) {
    int brokerPort = port == 0 ? FreePorts.next() : port;
    int controllerPort = FreePorts.next();
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", "1");
    props.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
    props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", logDir.toAbsolutePath().toString());
    // A single node: every internal topic with replication factor 1, or transactions (exactly-once
    // Streams) and share groups silently stall (STACK-NOTES, pitfall 8).
    props.put("offsets.topic.replication.factor", "1");
    props.put("offsets.topic.num.partitions", "4");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("transaction.state.log.num.partitions", "4");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    props.put("group.initial.rebalance.delay.ms", "0");
    // Topics are created explicitly with their partitions and cleanup policies; a consumer's metadata
    // request must not create one with the defaults first.
    props.put("auto.create.topics.enable", "false");
    props.put("log.flush.interval.messages", "9223372036854775807");
    formatIfNew(logDir, controllerPort, props);
    KafkaBroker broker = new KafkaBroker(props, brokerPort);
    broker.start();
    return broker;
  }

  /** Starts the broker again after {@link #stop()}, on the same ports and log directory; no-op if running. */
  public synchronized void start() {
    if (server != null) {
      return;
    }
    KafkaRaftServer started = new KafkaRaftServer(KafkaConfig.fromProps(config, false), Time.SYSTEM);
    started.startup();
    server = started;
  }

  /** Stops the broker (a clean shutdown; its data stays); no-op if stopped. */
  public synchronized void stop() {
    KafkaRaftServer running = server;
    if (running == null) {
      return;
    }
    server = null;
    running.shutdown();
    running.awaitShutdown();
  }

  private static void formatIfNew(Path logDir, int controllerPort, Properties props) {
    try {
      if (Files.exists(logDir.resolve("meta.properties"))) {
        // A restart on the same data: the quorum address must stay the one it was formatted with.
        throw new IllegalStateException("reusing a formatted log dir is not supported: " + logDir);
      }
      Files.createDirectories(logDir);
      Path config = Files.createTempFile("kraft", ".properties");
      try (var out = Files.newBufferedWriter(config)) {
        props.store(out, "local-stack broker");
      }
      ByteArrayOutputStream log = new ByteArrayOutputStream();
      int code = StorageTool.execute(new String[] {
          "format", "--standalone", "-t", Uuid.randomUuid().toString(), "-c", config.toString()},
          new PrintStream(log, true, StandardCharsets.UTF_8));
      Files.deleteIfExists(config);
      if (code != 0) {
        throw new IllegalStateException("formatting the KRaft log dir failed: " + log.toString(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() {
    stop();
  }
}
