package ai.gateway.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL 17 from the zonky embedded binaries (no install, no Docker). As root the binaries drop to
 * {@code nobody}, so the data directory must be somewhere {@code nobody} can write (under /tmp), never a
 * 0700 root-owned folder (STACK-NOTES, pitfall 15).
 *
 * <p>{@link #stop()} and {@link #start()} make a real outage for the services: connections refused, pooled
 * connections cut, and the same server (port, data directory, rows) when it comes back.
 */
public final class Postgres implements AutoCloseable {

  public static final String USER = "postgres";
  public static final String PASSWORD = "postgres";
  public static final String DATABASE = "postgres";

  private final int port;
  private final Path dataDir;
  private @Nullable EmbeddedPostgres running;

  private Postgres(int port, Path dataDir) {
    this.port = port;
    this.dataDir = dataDir;
  }

  /** Starts on {@code port} (0 picks a free one) with the given data directory, kept across restarts. */
  public static Postgres start(int port, Path dataDir) {
    Postgres postgres = new Postgres(port == 0 ? FreePorts.next() : port, dataDir);
    postgres.start();
    return postgres;
  }

  /** Starts the server again after {@link #stop()}, on the same port and data directory; no-op if running. */
  public synchronized void start() {
    if (running != null) {
      return;
    }
    try {
      running = EmbeddedPostgres.builder()
          .setPort(port)
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setServerConfig("max_connections", "200")
          .start();
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
      throw new UncheckedIOException("cannot stop PostgreSQL", e);
    }
  }

  public synchronized boolean isRunning() {
    return running != null;
  }

  public int port() {
    return port;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
  }

  public String r2dbcUrl() {
    return "r2dbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
  }

  @Override
  public void close() {
    stop();
  }
}
