package ai.gateway.local;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One service jar in its own JVM. {@link #kill()} is a real {@code kill -9}: closing a Spring context
 * in-process is a graceful leave, not a crash.
 */
public final class ServiceProcess implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Service service;
  private final int port;
  private final Path log;
  private final Process process;

  private ServiceProcess(Service service, int port, Path log, Process process) {
    this.service = service;
    this.port = port;
    this.log = log;
    this.process = process;
  }

  static ServiceProcess fork(Service service, Path jar, int port, Map<String, String> env, List<String> jvmArgs, Path log,
      Path workingDir) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("missing " + jar + ": build it first (./mvnw -DskipTests package)");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-jar");
    command.add(jar.toString());
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(workingDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    builder.environment().put("SERVER_PORT", Integer.toString(port));
    try {
      Files.createDirectories(log.getParent());
      return new ServiceProcess(service, port, log, builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + service.module(), e);
    }
  }

  /** Waits until {@code /actuator/health} answers 200, failing fast if the process dies. */
  void awaitHealthy(Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl() + "/actuator/health"))
        .timeout(Duration.ofSeconds(2)).build();
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(service.module() + " exited with " + process.exitValue() + "; see " + log);
      }
      try {
        if (HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + service.module(), e);
      }
      pause();
    }
    throw new IllegalStateException(service.module() + " not healthy after " + timeout + "; see " + log);
  }

  private static void pause() {
    try {
      // Polling a child process's health endpoint from a launcher thread, not a test wait.
      TimeUnit.MILLISECONDS.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public Service service() {
    return service;
  }

  public int port() {
    return port;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  public Path log() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hooks, no graceful leave of consumer groups, no flush. */
  public void kill() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(10));
  }

  /** SIGTERM, then SIGKILL if it has not stopped in time. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!waitFor(Duration.ofSeconds(20))) {
      kill();
    }
  }

  private boolean waitFor(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
