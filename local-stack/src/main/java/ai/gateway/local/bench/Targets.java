package ai.gateway.local.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Queue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * The calls measured: the simulator's OpenAI endpoint directly (stream and not), the gateway's
 * {@code /v1/generate/stream} and {@code /v1/generate} in front of the same simulator, and the peer
 * (Portkey's {@code /v1/chat/completions}, its OpenAI provider with the simulator as custom host). Each call
 * checks its answer ended properly; anything else counts as an error.
 */
final class Targets {

  static final String PROMPT = "Write a short line about the sea.";
  private static final Pattern JOB_ID = Pattern.compile("\"jobId\":\"([^\"]+)\"");

  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final String simulatorOpenAiUrl;
  private final String gatewayUrl;
  private final @Nullable String portkeyUrl;
  private final Keys keys;
  private final int maxTokens;
  /** Where gateway requests leave their {@link Hops.Trace} while a run is traced; null when none is. */
  private volatile @Nullable Queue<Hops.Trace> traces;

  Targets(String simulatorOpenAiUrl, String gatewayUrl, @Nullable String portkeyUrl, Keys keys, int maxTokens) {
    this.simulatorOpenAiUrl = simulatorOpenAiUrl;
    this.gatewayUrl = gatewayUrl;
    this.portkeyUrl = portkeyUrl;
    this.keys = keys;
    this.maxTokens = maxTokens;
  }

  /** Gateway requests from now on add their trace here (null: none). */
  void trace(@Nullable Queue<Hops.Trace> traces) {
    this.traces = traces;
  }

  /** The simulator directly, streaming: the first token is the first delta with text. */
  Load.Timing directStream(int index) throws IOException, InterruptedException {
    return timed(HttpRequest.newBuilder(URI.create(simulatorOpenAiUrl + "/chat/completions"))
        .header("Authorization", "Bearer sk-bench")
        .header("Content-Type", "application/json")
        .POST(body(openAiBody(true))), true);
  }

  Load.Timing directSync(int index) throws IOException, InterruptedException {
    return timed(HttpRequest.newBuilder(URI.create(simulatorOpenAiUrl + "/chat/completions"))
        .header("Authorization", "Bearer sk-bench")
        .header("Content-Type", "application/json")
        .POST(body(openAiBody(false))), false);
  }

  /** Through the gateway, streaming: the first token is the first {@code chunk} event. */
  Load.Timing gatewayStream(int index) throws IOException, InterruptedException {
    return timed(HttpRequest.newBuilder(URI.create(gatewayUrl + "/v1/generate/stream"))
        .header("Authorization", "Bearer " + keys.next())
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .POST(body(gatewayBody())), true, traces);
  }

  Load.Timing gatewaySync(int index) throws IOException, InterruptedException {
    return timed(HttpRequest.newBuilder(URI.create(gatewayUrl + "/v1/generate"))
        .header("Authorization", "Bearer " + keys.next())
        .header("Content-Type", "application/json")
        .POST(body(gatewayBody())), false, traces);
  }

  /** Through Portkey, streaming: OpenAI's wire format passed through, so the first token as direct. */
  Load.Timing portkeyStream(int index) throws IOException, InterruptedException {
    return timed(portkey().POST(body(openAiBody(true))), true);
  }

  Load.Timing portkeySync(int index) throws IOException, InterruptedException {
    return timed(portkey().POST(body(openAiBody(false))), false);
  }

  private HttpRequest.Builder portkey() {
    if (portkeyUrl == null) {
      throw new IllegalStateException("Portkey is not running");
    }
    return HttpRequest.newBuilder(URI.create(portkeyUrl + "/v1/chat/completions"))
        .header("Authorization", "Bearer sk-bench")
        .header("Content-Type", "application/json")
        .header("x-portkey-provider", "openai")
        .header("x-portkey-custom-host", simulatorOpenAiUrl);
  }

  private String openAiBody(boolean stream) {
    return "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}],"
        + "\"max_tokens\":" + maxTokens + ",\"stream\":" + stream
        + (stream ? ",\"stream_options\":{\"include_usage\":true}" : "") + "}";
  }

  private String gatewayBody() {
    return "{\"prompt\":\"" + PROMPT + "\",\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"maxTokens\":" + maxTokens + "}";
  }

  private static HttpRequest.BodyPublisher body(String json) {
    return HttpRequest.BodyPublishers.ofString(json);
  }

  private Load.Timing timed(HttpRequest.Builder request, boolean stream) throws IOException, InterruptedException {
    return timed(request, stream, null);
  }

  private Load.Timing timed(HttpRequest.Builder request, boolean stream, @Nullable Queue<Hops.Trace> traces)
      throws IOException, InterruptedException {
    long sentMicros = traces == null ? 0 : wallMicros();
    long start = System.nanoTime();
    HttpResponse<InputStream> response = client.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode() + ": "
            + new String(body.readNBytes(300), StandardCharsets.UTF_8));
      }
      if (!stream) {
        byte[] all = body.readAllBytes();
        if (all.length == 0) {
          throw new IOException("empty answer");
        }
        long total = System.nanoTime() - start;
        if (traces != null) {
          trace(traces, new String(all, StandardCharsets.UTF_8), sentMicros, sentMicros + total / 1000);
        }
        return new Load.Timing(-1, total);
      }
      long firstToken = -1;
      boolean traced = traces == null;
      boolean ended = false;
      BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null) {
        if (firstToken < 0 && isFirstToken(line)) {
          firstToken = System.nanoTime() - start;
        } else if (!traced && firstToken >= 0 && line.startsWith("data:")) {
          traced = trace(traces, line, sentMicros, sentMicros + firstToken / 1000);
        }
        if (line.equals("event:error") || line.equals("event: error")) {
          throw new IOException("error event: " + reader.readLine());
        }
        if (line.equals("event:done") || line.equals("event: done") || line.equals("data: [DONE]")) {
          ended = true;
        }
      }
      if (!ended || firstToken < 0) {
        throw new IOException("the stream ended without " + (firstToken < 0 ? "a token" : "its end event"));
      }
      return new Load.Timing(firstToken, System.nanoTime() - start);
    }
  }

  /** Adds a trace if the text names its job; true if it did. */
  private static boolean trace(Queue<Hops.Trace> traces, String text, long sentMicros, long markMicros) {
    Matcher jobId = JOB_ID.matcher(text);
    if (!jobId.find()) {
      return false;
    }
    traces.add(new Hops.Trace(jobId.group(1), sentMicros, markMicros));
    return true;
  }

  private static long wallMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  /** A gateway chunk event, or an OpenAI delta that carries text (the first delta carries only the role). */
  private static boolean isFirstToken(String line) {
    if (line.equals("event:chunk") || line.equals("event: chunk")) {
      return true;
    }
    int content = line.indexOf("\"content\":\"");
    return line.startsWith("data:") && content >= 0 && content + 11 < line.length() && line.charAt(content + 11) != '"';
  }
}
