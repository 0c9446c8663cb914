package ai.gateway.worker.provider.anthropic;

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
 * Anthropic Messages over a streaming {@code POST {baseUrl}/v1/messages}: the key in {@code x-api-key}
 * only, {@code anthropic-version: 2023-06-01}, the job id in {@code X-Client-Request-Id}; the system prompt
 * in the top-level {@code system} field (Anthropic has no system role).
 */
public final class AnthropicAdapter extends ConfiguredProvider implements AutoCloseable {

  public static final String NAME = "anthropic";
  /** The public endpoint: where a real key without a base URL goes. */
  public static final String REAL_API = "https://api.anthropic.com";
  /** The API version this adapter speaks; required on every request. */
  static final String API_VERSION = "2023-06-01";
  private static final int MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private final Secret apiKey;
  private final URI baseUrl;
  private final ProviderHttp http;
  private final URI messages;
  private final Clock clock = Clock.systemUTC();

  public AnthropicAdapter(ProviderProperties properties) {
    this(properties, bytes -> { });
  }

  /** @param onRead sees the size of every network read of a stream body (tests prove reads stay separate) */
  public AnthropicAdapter(ProviderProperties properties, IntConsumer onRead) {
    super(properties);
    this.apiKey = Objects.requireNonNull(properties.resolvedApiKey(), "Anthropic is not configured: no API key");
    this.baseUrl = properties.resolvedBaseUrl(REAL_API);
    this.http = new ProviderHttp(NAME, properties, baseUrl, onRead);
    this.messages = http.endpoint("/v1/messages");
  }

  @Override
  public ProviderId id() {
    return ProviderId.ANTHROPIC;
  }





  @Override
  public Flux<ProviderEvent> stream(ProviderRequest request) {
    return Flux.defer(() -> {
      byte[] body = AnthropicWire.MAPPER.writeValueAsBytes(AnthropicWire.toMessagesRequest(request));
      return http.client().post()
          .uri(messages)
          .headers(headers -> {
            headers.set("x-api-key", apiKey.reveal());
            headers.set("anthropic-version", API_VERSION);
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
              AnthropicErrorClassifier.fromResponse(status, response.headers().asHttpHeaders(), bytes, clock)));
    }
    boolean json = response.headers().contentType()
        .map(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON))
        .orElse(false);
    if (json) {
      // a proxy or compatible server that ignores "stream": true answers one message
      return ProviderHttp.readCapped(response, MAX_MESSAGE_BYTES)
          .flatMapMany(bytes -> AnthropicStreamDecoder.decodeMessage(bytes).toFlux());
    }
    AnthropicStreamDecoder decoder = new AnthropicStreamDecoder();
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
    return "AnthropicAdapter[baseUrl=" + baseUrl + "]";
  }
}
