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

import org.jspecify.annotations.Nullable;

/**
 * The calls measured: the simulator's OpenAI endpoint directly (stream and not), the gateway's
 * {@code /v1/generate/stream} and {@code /v1/generate} in front of the same simulator, and the peer
 * (Portkey's {@code /v1/chat/completions}, its OpenAI provider with the simulator as custom host). Each call
 * checks its answer ended properly; anything else counts as an error.
 */
final class Targets {

  static final String PROMPT = "Write a short line about the sea.";

  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  private final String simulatorOpenAiUrl;
  private final String gatewayUrl;
  private final @Nullable String portkeyUrl;
  private final Keys keys;
  private final int maxTokens;

  Targets(String simulatorOpenAiUrl, String gatewayUrl, @Nullable String portkeyUrl, Keys keys, int maxTokens) {
    this.simulatorOpenAiUrl = simulatorOpenAiUrl;
    this.gatewayUrl = gatewayUrl;
    this.portkeyUrl = portkeyUrl;
    this.keys = keys;
    this.maxTokens = maxTokens;
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
        .POST(body(gatewayBody())), true);
  }

  Load.Timing gatewaySync(int index) throws IOException, InterruptedException {
    return timed(HttpRequest.newBuilder(URI.create(gatewayUrl + "/v1/generate"))
        .header("Authorization", "Bearer " + keys.next())
        .header("Content-Type", "application/json")
        .POST(body(gatewayBody())), false);
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
        return new Load.Timing(-1, System.nanoTime() - start);
      }
      long firstToken = -1;
      boolean ended = false;
      BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null) {
        if (firstToken < 0 && isFirstToken(line)) {
          firstToken = System.nanoTime() - start;
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

  /** A gateway chunk event, or an OpenAI delta that carries text (the first delta carries only the role). */
  private static boolean isFirstToken(String line) {
    if (line.equals("event:chunk") || line.equals("event: chunk")) {
      return true;
    }
    int content = line.indexOf("\"content\":\"");
    return line.startsWith("data:") && content >= 0 && content + 11 < line.length() && line.charAt(content + 11) != '"';
  }
}
