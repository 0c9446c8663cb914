package ai.gateway.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * PostgreSQL 17 from the zonky embedded binaries (no install, no Docker). As root the binaries drop to
 * {@code nobody}, so the data directory must be somewhere {@code nobody} can write (under /tmp), never a
 * 0700 root-owned folder (STACK-NOTES, pitfall 15).
 */
public final class Postgres implements AutoCloseable {

  public static final String USER = "postgres";
  public static final String PASSWORD = "postgres";
  public static final String DATABASE = "postgres";

  private final EmbeddedPostgres postgres;

  private Postgres(EmbeddedPostgres postgres) {
    this.postgres = postgres;
  }

  /** Starts on {@code port} (0 picks a free one) with the given data directory, kept across restarts. */
  public static Postgres start(int port, Path dataDir) {
    try {
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setPort(port == 0 ? FreePorts.next() : port)
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setServerConfig("max_connections", "200");
      return new Postgres(builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start PostgreSQL", e);
    }
  }

  public int port() {
    return postgres.getPort();
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
  }

  public String r2dbcUrl() {
    return "r2dbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
  }

  @Override
  public void close() {
    try {
      postgres.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop PostgreSQL", e);
    }
  }
}
