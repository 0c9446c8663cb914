package ai.gateway.api.jobs;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;

import com.sun.net.httpserver.HttpServer;

/** A callback receiver on 127.0.0.1: answers the n-th request (1-based) of {@code /hook} with {@code status(n)}. */
final class CallbackReceiver implements AutoCloseable {

  final AtomicInteger hooks = new AtomicInteger();
  final AtomicInteger elsewhere = new AtomicInteger();
  final List<String> bodies = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  CallbackReceiver(IntUnaryOperator status) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/hook", exchange -> {
      bodies.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
      int code = status.applyAsInt(hooks.incrementAndGet());
      if (code >= 300 && code < 400) {
        exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + port() + "/elsewhere");
      }
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
