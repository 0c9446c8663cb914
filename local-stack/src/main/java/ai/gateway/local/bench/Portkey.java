package ai.gateway.local.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import ai.gateway.local.FreePorts;
import org.jspecify.annotations.Nullable;

/**
 * The peer: Portkey's AI gateway in its own node process, started by {@code bench/portkey/start.sh} (which
 * installs the pinned package on first use). The harness points it at the simulator through its OpenAI
 * provider with a custom host, per request ({@code x-portkey-provider}, {@code x-portkey-custom-host}).
 */
final class Portkey implements AutoCloseable {

  private final Process process;
  private final int port;

  private Portkey(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Why the peer cannot run here, or null if it can (node on the PATH, the script in the repository). */
  static @Nullable String unavailable(Path home) {
    if (!Files.isRegularFile(script(home))) {
      return "missing " + script(home);
    }
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "node"))) {
        return null;
      }
    }
    return "node is not installed";
  }

  /** Starts it on a free port and waits until it answers HTTP (an install on first use included). */
  static Portkey start(Path home, Path log, Duration timeout) {
    int port = FreePorts.next();
    try {
      Files.createDirectories(log.getParent());
      Process process = new ProcessBuilder("bash", script(home).toString(), Integer.toString(port))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
      Portkey portkey = new Portkey(process, port);
      try {
        portkey.awaitListening(timeout, log);
      } catch (RuntimeException e) {
        portkey.close();
        throw e;
      }
      return portkey;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Portkey", e);
    }
  }

  private static Path script(Path home) {
    return home.resolve("bench").resolve("portkey").resolve("start.sh");
  }

  private void awaitListening(Duration timeout, Path log) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl() + "/")).timeout(Duration.ofSeconds(2)).build();
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Portkey exited with " + process.exitValue() + "; see " + log);
      }
      try {
        client.send(request, HttpResponse.BodyHandlers.discarding());
        return; // any HTTP answer: it is listening
      } catch (IOException e) {
        // not listening yet (or still installing)
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Portkey", e);
      }
      try {
        // Polling a child process's port from the launcher, not a test wait.
        TimeUnit.MILLISECONDS.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Portkey", e);
      }
    }
    throw new IllegalStateException("Portkey not listening after " + timeout + "; see " + log);
  }

  /** {@code http://127.0.0.1:<port>}; its OpenAI-compatible API is under {@code /v1}. */
  String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** The node process itself (start.sh exec's node). */
  long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
