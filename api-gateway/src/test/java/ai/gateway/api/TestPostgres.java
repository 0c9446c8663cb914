package ai.gateway.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
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
      return EmbeddedPostgres.builder().start();
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
