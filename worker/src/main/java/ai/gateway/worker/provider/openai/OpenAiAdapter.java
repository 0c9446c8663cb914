package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.ConfiguredProvider;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderHttp;
import ai.gateway.worker.provider.ProviderId;
import ai.gateway.worker.provider.ProviderProperties;
import ai.gateway.worker.provider.ProviderRequest;
import ai.gateway.worker.provider.Secret;
import java.net.URI;
import java.time.Clock;
import java.util.Objects;
import java.util.function.IntConsumer;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import reactor.core.publisher.Flux;

/**
 * OpenAI Chat Completions (and any compatible server: vLLM, Ollama, llama.cpp) over a streaming
 * {@code POST {baseUrl}/chat/completions}. The key travels only in the {@code Authorization} header.
 */
public final class OpenAiAdapter extends ConfiguredProvider implements AutoCloseable {

  public static final String NAME = "openai";
  /** The public endpoint: where a real key without a base URL goes. */
  public static final String REAL_API = "https://api.openai.com/v1";
  /** A non-stream completion body is read whole; bounded like everything else read from the network. */
  private static final int MAX_COMPLETION_BYTES = 16 * 1024 * 1024;

  private final Secret apiKey;
  private final URI baseUrl;
  private final ProviderHttp http;
  private final URI chatCompletions;
  private final Clock clock = Clock.systemUTC();

  public OpenAiAdapter(ProviderProperties properties) {
    this(properties, bytes -> { });
  }

  /** @param onRead sees the size of every network read of a stream body (tests prove reads stay separate) */
  public OpenAiAdapter(ProviderProperties properties, IntConsumer onRead) {
    super(properties);
    this.apiKey = Objects.requireNonNull(properties.resolvedApiKey(), "OpenAI is not configured: no API key");
    this.baseUrl = properties.resolvedBaseUrl(REAL_API);
    this.http = new ProviderHttp(NAME, properties, baseUrl, onRead);
    this.chatCompletions = http.endpoint("/chat/completions");
  }

  @Override
  public ProviderId id() {
    return ProviderId.OPENAI;
  }





  @Override
  public Flux<ProviderEvent> stream(ProviderRequest request) {
    return Flux.defer(() -> {
      byte[] body = OpenAiWire.MAPPER.writeValueAsBytes(OpenAiWire.toChatRequest(request));
      return http.client().post()
          .uri(chatCompletions)
          .headers(headers -> {
            headers.setBearerAuth(apiKey.reveal());
            headers.set("X-Client-Request-Id", request.clientRequestId());
          })
          .contentType(MediaType.APPLICATION_JSON)
          .accept(MediaType.TEXT_EVENT_STREAM, MediaType.APPLICATION_JSON)
          .bodyValue(body)
          .exchangeToFlux(this::answer);
    }).onErrorMap(e -> !(e instanceof ProviderException), http::transportFailure);
  }

  private Flux<ProviderEvent> answer(ClientResponse response) {
    int status = response.statusCode().value();
    if (status < 200 || status >= 300) {
      return ProviderHttp.readCapped(response, properties.maxErrorBodyBytes())
          .flatMapMany(bytes -> Flux.error(
              OpenAiErrorClassifier.fromResponse(status, response.headers().asHttpHeaders(), bytes, clock)));
    }
    boolean json = response.headers().contentType()
        .map(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON))
        .orElse(false);
    if (json) {
      // an OpenAI-compatible server that ignores "stream": true answers one completion
      return ProviderHttp.readCapped(response, MAX_COMPLETION_BYTES)
          .flatMapMany(bytes -> OpenAiStreamDecoder.decodeCompletion(bytes).toFlux());
    }
    OpenAiStreamDecoder decoder = new OpenAiStreamDecoder();
    return http.reads(response)
        .concatMap(bytes -> decoder.decode(bytes).toFlux())
        .concatWith(Flux.defer(() -> decoder.end().toFlux()));
  }

  @Override
  public void close() {
    http.close();
  }

  @Override
  public String toString() {
    return "OpenAiAdapter[baseUrl=" + baseUrl + "]";
  }
}
