package ai.gateway.api.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import ai.gateway.api.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * ATTACKS row 31 on a real gateway over raw sockets: a client that holds a connection without finishing its
 * request (silent, headers a byte at a time, a body a byte at a time) is disconnected by the server's read and
 * request timeouts, scaled down here (read 1 s, request 3 s) from production's 10 s and 30 s. A connection the
 * server closed reads end-of-stream; one it kept open would still be open when the client gives up (15 s).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "gateway.http.read-timeout=1s", "gateway.http.request-timeout=3s", "gateway.http.write-timeout=2s",
    "gateway.http.idle-timeout=1s"})
@ActiveProfiles("test")
@DirtiesContext
class SlowClientIT {

  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();
  /** How long the client waits for the server to hang up: five times the request timeout. */
  private static final Duration CLIENT_PATIENCE = Duration.ofSeconds(15);
  private static final Duration DRIBBLE = Duration.ofMillis(400);
  private static EmbeddedKafkaKraftBroker broker;

  @LocalServerPort
  int port;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaKraftBroker(1, 1);
    broker.afterPropertiesSet();
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", () -> broker.getBrokersAsString());
    DATABASE.register(registry);
  }

  @AfterAll
  static void stopBroker() {
    broker.destroy();
  }

  @Test
  void shouldHangUpOnAClientThatConnectsAndSaysNothing() throws IOException {
    try (Socket socket = connect()) {
      assertThat(hungUp(socket, null)).as("closed by the idle timeout").isTrue();
    }
  }

  @Test
  void shouldHangUpOnHeadersDribbledAByteAtATime() throws IOException {
    try (Socket socket = connect()) {
      byte[] headers = "POST /v1/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Padding: "
          .getBytes(StandardCharsets.US_ASCII);
      assertThat(hungUp(socket, headers)).as("closed although every read came within the read timeout").isTrue();
    }
  }

  @Test
  void shouldHangUpOnABodyDribbledAByteAtATime() throws IOException {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Authorization: Bearer not-checked-before-the-body\r\nContent-Length: 1000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] body = "{\"prompt\":\"".repeat(40).getBytes(StandardCharsets.US_ASCII);
      assertThat(hungUp(socket, body)).as("closed or answered before the body ended").isTrue();
    }
  }

  /**
   * A keep-alive client whose request is refused before its body is read (401 here; 406, 413, 415 likewise) and
   * that sends its next request on the same connection: the refused body must not be taken for the next request,
   * nor leave the connection hanging. The server either answers the next request or says it closes
   * ({@code Connection: close}) with the refusal.
   */
  @Test
  void shouldAnswerTheNextRequestOnAConnectionWhoseRefusedBodyWasNotRead() throws IOException {
    try (Socket socket = connect()) {
      socket.setSoTimeout((int) Duration.ofSeconds(5).toMillis());
      OutputStream out = socket.getOutputStream();
      byte[] body = ("{\"prompt\":\"" + "x".repeat(8_000) + "\"}").getBytes(StandardCharsets.US_ASCII);
      out.write(("POST /v1/generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      InputStream in = socket.getInputStream();
      String refused = response(in);
      assertThat(refused).startsWith("HTTP/1.1 401");
      if (refused.toLowerCase(java.util.Locale.ROOT).contains("connection: close")) {
        return; // the server said it closes: a client opens a new connection
      }

      out.write("GET /actuator/health/liveness HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();

      assertThat(response(in)).as("the next request on the kept-alive connection").startsWith("HTTP/1.1 200");
    }
  }

  /** One response: its head, then as many body bytes as its Content-Length says (the head alone without one). */
  private static String response(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return head.toString();
      }
      head.append((char) b);
    }
    java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    if (length.find()) {
      in.readNBytes(Integer.parseInt(length.group(1)));
    }
    return head.toString();
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout((int) DRIBBLE.toMillis());
    return socket;
  }

  /**
   * Sends {@code dribble} a byte per {@link #DRIBBLE} (nothing when null) until the server ends the connection
   * (end of stream, a reset, or an answer followed by the end); false when it still holds it after the patience.
   */
  private static boolean hungUp(Socket socket, byte[] dribble) throws IOException {
    InputStream in = socket.getInputStream();
    OutputStream out = socket.getOutputStream();
    long deadline = System.nanoTime() + CLIENT_PATIENCE.toNanos();
    int sent = 0;
    while (System.nanoTime() < deadline) {
      try {
        if (dribble != null) {
          out.write(dribble[sent++ % dribble.length]);
          out.flush();
        }
      } catch (IOException reset) {
        return true; // the server closed its end: writing to it fails
      }
      try {
        // waits up to DRIBBLE (the socket timeout), which paces the dribble; -1 is the server hanging up, a
        // byte its answer (it refused the request before its end: it holds nothing for it any more)
        in.read();
        return true;
      } catch (SocketTimeoutException stillOpen) {
        // nothing yet: send the next byte
      } catch (IOException reset) {
        return true;
      }
    }
    return false;
  }
}
