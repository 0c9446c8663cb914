package ai.gateway.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small real-HTTP client for the black-box tests, with an SSE reader. */
final class Http {

  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private Http() {
  }

  /** A POST of JSON with {@code Authorization: Bearer apiKey}. */
  static HttpResponse<String> postJson(String url, String apiKey, String body) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + apiKey)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** A GET without credentials (actuator endpoints). */
  static HttpResponse<String> get(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build());
  }

  /** A GET with {@code Authorization: Bearer apiKey}. */
  static HttpResponse<String> get(String url, String apiKey) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + apiKey).GET().build());
  }

  static HttpResponse<String> send(HttpRequest request) {
    return send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Any request with any body handler (e.g. {@code ofInputStream()} to read a live event stream). */
  static <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body) {
    try {
      return CLIENT.send(request, body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static HttpResponse<java.io.InputStream> openStream(String url, String apiKey, String body) {
    try {
      return CLIENT.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
          .header("Content-Type", "application/json").header("Accept", "text/event-stream")
          .header("Authorization", "Bearer " + apiKey)
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(String body) {
    return JSON.readTree(body);
  }

  /** One Server-Sent Event as the client sees it. */
  record SseEvent(String id, String event, String data) {
    JsonNode json() {
      return JSON.readTree(data);
    }
  }

  /** Parses a complete SSE body (the stream has ended) into events; comments are skipped. */
  static List<SseEvent> parseSse(String body) {
    List<SseEvent> events = new ArrayList<>();
    String id = "";
    String event = "message";
    StringBuilder data = new StringBuilder();
    for (String line : body.split("\r\n|\n|\r", -1)) {
      if (line.isEmpty()) {
        if (data.length() > 0) {
          events.add(new SseEvent(id, event, data.toString()));
        }
        id = "";
        event = "message";
        data.setLength(0);
      } else if (line.startsWith("id:")) {
        id = line.substring(3).strip();
      } else if (line.startsWith("event:")) {
        event = line.substring(6).strip();
      } else if (line.startsWith("data:")) {
        if (data.length() > 0) {
          data.append('\n');
        }
        data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
      }
    }
    return events;
  }
}
