package ai.gateway.api.jobs;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

import com.sun.net.httpserver.HttpServer;

/**
 * A callback receiver on 127.0.0.1: answers the n-th request (1-based) of {@code /hook} with {@code status(n)}, a
 * 429 or 503 with {@code Retry-After: 2}.
 */
final class CallbackReceiver implements AutoCloseable {

  final AtomicInteger hooks = new AtomicInteger();
  final AtomicInteger elsewhere = new AtomicInteger();
  /** Sent with every 429 and 503. */
  static final long RETRY_AFTER_SECONDS = 2;

  final List<String> bodies = new CopyOnWriteArrayList<>();
  /** When each request to {@code /hook} arrived (nanoTime). */
  final List<Long> times = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  CallbackReceiver(IntUnaryOperator status) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/hook", exchange -> {
      bodies.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      int code = status.applyAsInt(hooks.incrementAndGet());
      if (code >= 300 && code < 400) {
        exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + port() + "/elsewhere");
      }
      if (code == 429 || code == 503) {
        exchange.getResponseHeaders().add("Retry-After", Long.toString(RETRY_AFTER_SECONDS));
      }
      times.add(System.nanoTime());
      exchange.sendResponseHeaders(code, -1);
      exchange.close();
    });
    server.createContext("/elsewhere", exchange -> {
      elsewhere.incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  String url(String host) {
    return "http://" + host + ":" + port() + "/hook";
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
