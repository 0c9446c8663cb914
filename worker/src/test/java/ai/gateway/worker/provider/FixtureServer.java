package ai.gateway.worker.provider;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * A real HTTP server that plays back a recorded provider response: the status, the headers and the body in
 * the given pieces, each flushed on its own with a pause in between, so the client sees separate reads.
 * Records what it received.
 */
public final class FixtureServer implements AutoCloseable {

  /** What to answer next. {@code hang}: after the body, keep the connection open and send nothing. */
  public record Playback(int status, Map<String, String> headers, List<byte[]> pieces, Duration pause, boolean hang) {
  }

  /** One request as received. */
  public record Received(String method, String path, Map<String, String> headers, String body) {
  }

  private final AtomicReference<Playback> next = new AtomicReference<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicBoolean clientClosed = new AtomicBoolean();
  private final DisposableServer server;

  public FixtureServer() {
    server = HttpServer.create()
        .host("127.0.0.1")
        .port(0)
        .handle(this::serve)
        .bindNow();
  }

  /** {@code http://127.0.0.1:<port>}; the server answers every path the same. */
  public String rootUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  public String baseUrl() {
    return rootUrl() + "/v1";
  }

  public void willAnswer(Playback playback) {
    clientClosed.set(false);
    next.set(playback);
  }

  public List<Received> received() {
    return received;
  }

  /** Whether the client closed the connection of the last hanging playback. */
  public boolean clientClosed() {
    return clientClosed.get();
  }

  private Publisher<Void> serve(HttpServerRequest request, HttpServerResponse response) {
    return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
        .flatMap(body -> {
          Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
          request.requestHeaders().forEach(entry -> headers.put(entry.getKey(), entry.getValue()));
          received.add(new Received(request.method().name(), request.uri(), headers, body));
          Playback playback = next.get();
          response.status(HttpResponseStatus.valueOf(playback.status()));
          playback.headers().forEach(response::header);
          request.withConnection(connection -> connection.onDispose(() -> clientClosed.set(true)));
          Flux<ByteBuf> pieces = Flux.fromIterable(playback.pieces())
              .delayElements(playback.pause())
              .map(Unpooled::wrappedBuffer);
          Mono<Void> sent = response.send(pieces, buffer -> true).then();
          return playback.hang() ? sent.then(Mono.never()) : sent;
        });
  }

  @Override
  public void close() {
    server.disposeNow();
  }
}
