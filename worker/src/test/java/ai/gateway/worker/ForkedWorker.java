package ai.gateway.worker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The worker's own jar ({@code target/worker-*.jar}, built before Failsafe runs) in a JVM of its own, so a
 * test can {@link #kill()} it for real: SIGKILL, no shutdown hook, no graceful leave of the consumer group,
 * no flush. Closing a Spring context in-process would be a graceful stop, not a crash. Its output goes to
 * {@code target/<name>.log}.
 */
final class ForkedWorker implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int port;
  private final Path log;

  private ForkedWorker(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts {@code java -jar <worker.jar> --server.port=<free> <arguments>}. */
  static ForkedWorker start(String name, List<String> arguments) {
    Path jar = Path.of(System.getProperty("worker.jar", "target/worker-0.1.0-SNAPSHOT.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("missing " + jar + ": it is built in the package phase, before Failsafe");
    }
    int port = freePort();
    Path log = Path.of("target", name + ".log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(), "--server.port=" + port));
    command.addAll(arguments);
    try {
      Files.createDirectories(log.getParent());
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
      return new ForkedWorker(process, port, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the worker jar", e);
    }
  }

  /** Whether {@code /actuator/health} answers 200; fails fast if the process died. */
  boolean healthy() {
    if (!process.isAlive()) {
      throw new IllegalStateException("the forked worker exited with " + process.exitValue() + "; see " + log);
    }
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false; // not listening yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** {@code kill -9}. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the forked worker did not die");
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
