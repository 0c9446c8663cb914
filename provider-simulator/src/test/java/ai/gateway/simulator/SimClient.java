package ai.gateway.simulator;

import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.JsonNode;

/** A Reactor Netty client for the simulator over real HTTP, reading SSE the way a provider adapter does. */
final class SimClient implements AutoCloseable {

  /** A whole response; {@code error} is set when the connection broke before the body ended. */
  record Reply(int status, HttpHeaders headers, String body, @Nullable Throwable error) {

    JsonNode json() {
      return Json.MAPPER.readTree(body);
    }

    /** The {@code data:} payloads of the SSE events, in order. */
    List<String> events() {
      return SseSplitter.split(body);
    }

    /** The content chunks' JSON (events with a non-empty {@code delta.content}). */
    List<JsonNode> contentChunks() {
      return events().stream().filter(data -> !data.equals("[DONE]")).map(Json.MAPPER::readTree)
          .filter(chunk -> !chunk.at("/choices/0/delta/content").asString("").isEmpty()).toList();
    }

    /** The SSE events with their {@code event:} names, whatever the line ends (Gemini uses CRLF). */
    List<SseEvent> sse() {
      return SseSplitter.parse(body);
    }

    String streamedText() {
      StringBuilder text = new StringBuilder();
      contentChunks().forEach(chunk -> text.append(chunk.at("/choices/0/delta/content").stringValue()));
      return text.toString();
    }
  }

  private final ConnectionProvider connections;
  private final HttpClient http;

  SimClient(String baseUrl) {
    this(baseUrl, 500);
  }

  SimClient(String baseUrl, int maxConnections) {
    this.connections = ConnectionProvider.builder("sim-test").maxConnections(maxConnections)
        .pendingAcquireMaxCount(-1).build();
    this.http = HttpClient.create(connections).baseUrl(baseUrl).responseTimeout(Duration.ofSeconds(20));
  }

  Mono<Reply> post(String path, String json, Map<String, String> headers) {
    return http.headers(h -> headers.forEach(h::set))
        .post().uri(path)
        .send(ByteBufFlux.fromString(Mono.just(json)))
        .response((response, content) -> {
          StringBuilder body = new StringBuilder();
          return content.asString()
              .doOnNext(body::append)
              .then(Mono.fromCallable(() -> new Reply(response.status().code(), response.responseHeaders(),
                  body.toString(), null)))
              .onErrorResume(e -> Mono.just(new Reply(response.status().code(), response.responseHeaders(),
                  body.toString(), e)));
        })
        .single();
  }

  Reply chat(String json, Map<String, String> headers) {
    return post("/v1/chat/completions", json, headers).block(Duration.ofSeconds(30));
  }

  /** The SSE {@code data:} payloads as they arrive; cancelling closes the connection. */
  Flux<String> events(String json, Map<String, String> headers) {
    return events("/v1/chat/completions", json, headers);
  }

  /** The SSE {@code data:} payloads of any endpoint as they arrive; cancelling closes the connection. */
  Flux<String> events(String path, String json, Map<String, String> headers) {
    return http.headers(h -> headers.forEach(h::set))
        .post().uri(path)
        .send(ByteBufFlux.fromString(Mono.just(json)))
        .response((response, content) -> Flux.defer(() -> {
          SseSplitter splitter = new SseSplitter();
          return content.asString().concatMapIterable(splitter::feed);
        }));
  }

  Reply get(String path) {
    return http.get().uri(path)
        .responseSingle((response, body) -> body.asString().defaultIfEmpty("")
            .map(text -> new Reply(response.status().code(), response.responseHeaders(), text, null)))
        .block(Duration.ofSeconds(10));
  }

  Reply delete(String path) {
    return http.delete().uri(path)
        .responseSingle((response, body) -> body.asString().defaultIfEmpty("")
            .map(text -> new Reply(response.status().code(), response.responseHeaders(), text, null)))
        .block(Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    connections.disposeLater().block(Duration.ofSeconds(5));
  }

  /** One SSE event: its {@code event:} name (null if none) and its {@code data:}. */
  record SseEvent(@Nullable String event, String data) {

    JsonNode json() {
      return Json.MAPPER.readTree(data);
    }
  }

  /**
   * Cuts a text stream into SSE events at blank lines, across network-buffer boundaries. CRLF counts as a line
   * end (Gemini's framing); a lone CR at the end of a buffer waits for the next one.
   */
  static final class SseSplitter {

    private final StringBuilder pending = new StringBuilder();

    static List<String> split(String body) {
      return new SseSplitter().feed(body);
    }

    static List<SseEvent> parse(String body) {
      return new SseSplitter().feedEvents(body);
    }

    List<String> feed(String text) {
      return feedEvents(text).stream().map(SseEvent::data).toList();
    }

    List<SseEvent> feedEvents(String text) {
      pending.append(text);
      String normalized = pending.toString().replace("\r\n", "\n");
      pending.setLength(0);
      pending.append(normalized);
      List<SseEvent> events = new ArrayList<>();
      int end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        String block = pending.substring(0, end);
        pending.delete(0, end + 2);
        String name = null;
        List<String> data = new ArrayList<>();
        for (String line : block.split("\n")) {
          if (line.startsWith("event: ")) {
            name = line.substring("event: ".length());
          } else if (line.startsWith("data: ")) {
            data.add(line.substring("data: ".length()));
          }
        }
        if (!data.isEmpty()) {
          events.add(new SseEvent(name, String.join("\n", data)));
        }
      }
      return events;
    }
  }
}
