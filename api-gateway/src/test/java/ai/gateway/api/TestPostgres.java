package ai.gateway.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Real PostgreSQL for the integration tests: one embedded server per test JVM (started on first use, stopped
 * when the JVM exits), and a fresh database per test class so classes never see each other's rows. A test
 * that must stop PostgreSQL starts its own server with {@link #startServer()}.
 */
public final class TestPostgres {

  public static final String USER = "postgres";
  public static final String PASSWORD = "postgres";
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres shared;

  private TestPostgres() {
  }

  /** Where a database is, for Spring and for plain clients. */
  public record Database(int port, String name) {

    public String jdbcUrl() {
      return "jdbc:postgresql://localhost:" + port + "/" + name;
    }

    public String r2dbcUrl() {
      return "r2dbc:postgresql://localhost:" + port + "/" + name;
    }

    /**
     * Creates the usage aggregator's tables ({@code ai_usage}, {@code ai_usage_daily_totals}) by running that
     * module's own migrations from its source tree, with its own history table, as the aggregator does in
     * production (the gateway only reads them). Before the gateway starts: its Flyway then finds a non-empty
     * schema, as it does when the aggregator migrated first. Tests run with the module as working directory.
     */
    public Database withUsageTables() {
      Path migrations = Path.of("..", "usage-aggregator", "src", "main", "resources", "db", "migration").toAbsolutePath().normalize();
      if (!Files.isDirectory(migrations)) {
        throw new IllegalStateException("the usage aggregator's migrations are not at " + migrations);
      }
      Flyway.configure()
          .dataSource(jdbcUrl(), USER, PASSWORD)
          .locations("filesystem:" + migrations)
          .table("flyway_schema_history_usage")
          .load()
          .migrate();
      return this;
    }

    /** The gateway's R2DBC and Flyway settings, pointing at this database. */
    public void register(DynamicPropertyRegistry registry) {
      registry.add("spring.r2dbc.url", this::r2dbcUrl);
      registry.add("spring.r2dbc.username", () -> USER);
      registry.add("spring.r2dbc.password", () -> PASSWORD);
      registry.add("spring.flyway.url", this::jdbcUrl);
      registry.add("spring.flyway.user", () -> USER);
      registry.add("spring.flyway.password", () -> PASSWORD);
    }
  }

  /** A new, empty database on the shared server. */
  public static synchronized Database newDatabase() {
    if (shared == null) {
      shared = startServer();
      EmbeddedPostgres server = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> close(server)));
    }
    return createDatabase(shared, "gw_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet());
  }

  public static EmbeddedPostgres startServer() {
    try {
      // a statement that waits on a lock or runs long is logged, so a stalled request can be explained
      return EmbeddedPostgres.builder()
          .setServerConfig("log_lock_waits", "on")
          .setServerConfig("deadlock_timeout", "500ms")
          .setServerConfig("log_min_duration_statement", "1000")
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Database createDatabase(EmbeddedPostgres server, String name) {
    try (Connection connection = server.getPostgresDatabase().getConnection();
         Statement statement = connection.createStatement()) {
      statement.execute("create database " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return new Database(server.getPort(), name);
  }

  public static void close(EmbeddedPostgres server) {
    try {
      server.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
