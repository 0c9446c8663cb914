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

/**
 * A single-node KRaft broker (combined broker and controller) running in this JVM, for the local run and
 * the cross-service tests. Not {@code KafkaClusterTestKit}: that boots unstable metadata versions
 * (STACK-NOTES, pitfall 3), so features would look available that a real 4.2.1 cluster lacks.
 */
public final class KafkaBroker implements AutoCloseable {

  private final KafkaRaftServer server;
  private final int port;

  private KafkaBroker(KafkaRaftServer server, int port) {
    this.server = server;
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
    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
    server.startup();
    return new KafkaBroker(server, brokerPort);
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
    server.shutdown();
    server.awaitShutdown();
  }
}
