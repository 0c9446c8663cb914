package ai.gateway.usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jspecify.annotations.Nullable;

/**
 * Embedded PostgreSQL (zonky) that can be stopped and started again on the same port and data directory:
 * a real outage for the client (connections refused, pooled connections broken), and the same database,
 * rows included, when it comes back.
 */
public final class RestartablePostgres implements AutoCloseable {

  private final Path parent;
  private final Path dataDirectory;
  private int port;
  private @Nullable EmbeddedPostgres running;

  private RestartablePostgres(Path parent) {
    this.parent = parent;
    this.dataDirectory = parent.resolve("data");
  }

  public static RestartablePostgres start() {
    try {
      // Readable by the unprivileged user that zonky's PostgreSQL runs as when the tests run as root.
      Path parent = Files.createTempDirectory("usage-aggregator-pg-");
      Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxrwxrwx"));
      RestartablePostgres postgres = new RestartablePostgres(parent);
      postgres.startAgain();
      return postgres;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the stopped server: the first time on a free port, later on that same port. */
  public synchronized void startAgain() {
    if (running != null) {
      return;
    }
    try {
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(dataDirectory)
          .setCleanDataDirectory(false);
      if (port != 0) {
        builder.setPort(port);
      }
      EmbeddedPostgres started = builder.start();
      port = started.getPort();
      running = started;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start PostgreSQL on port " + port, e);
    }
  }

  /** Stops the server (a fast shutdown: open connections are cut); the data directory stays. */
  public synchronized void stop() {
    EmbeddedPostgres current = running;
    if (current == null) {
      return;
    }
    running = null;
    try {
      current.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres";
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> tree = Files.walk(parent)) {
      for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      // a leftover temp directory is harmless
    }
  }
}
