package ai.gateway.worker.provider.gemini;

import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ConfiguredProvider;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderHttp;
import ai.gateway.worker.provider.ProviderId;
import ai.gateway.worker.provider.ProviderProperties;
import ai.gateway.worker.provider.ProviderRequest;
import ai.gateway.worker.provider.Secret;
import java.net.URI;
import java.util.Objects;
import java.util.function.IntConsumer;
import java.util.regex.Pattern;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.ClientResponse;
import reactor.core.publisher.Flux;

/**
 * Gemini over {@code POST {baseUrl}/models/{model}:streamGenerateContent?alt=sse}. The key travels in the
 * {@code x-goog-api-key} header only, never as the {@code key=} query parameter Google also accepts (URLs
 * end up in proxy and access logs). The model is a URL path segment: it must match the design's
 * {@code [A-Za-z0-9._-]{1,128}} and is still encoded as a URI variable, never spliced into the path.
 */
public final class GeminiAdapter extends ConfiguredProvider implements AutoCloseable {

  public static final String NAME = "gemini";
  /** The public endpoint: where a real key without a base URL goes. */
  public static final String REAL_API = "https://generativelanguage.googleapis.com/v1beta";
  static final Pattern MODEL = Pattern.compile("[A-Za-z0-9._-]{1,128}");
  private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

  private final Secret apiKey;
  private final URI baseUrl;
  private final ProviderHttp http;

  public GeminiAdapter(ProviderProperties properties) {
    this(properties, bytes -> { });
  }

  /** @param onRead sees the size of every network read of a stream body (tests prove reads stay separate) */
  public GeminiAdapter(ProviderProperties properties, IntConsumer onRead) {
    super(properties);
    this.apiKey = Objects.requireNonNull(properties.resolvedApiKey(), "Gemini is not configured: no API key");
    this.baseUrl = properties.resolvedBaseUrl(REAL_API);
    this.http = new ProviderHttp(NAME, properties, baseUrl, onRead);
    if (!MODEL.matcher(properties.defaultModel()).matches()) {
      throw new IllegalArgumentException("worker.providers.gemini.default-model must match [A-Za-z0-9._-]{1,128}");
    }
  }

  @Override
  public ProviderId id() {
    return ProviderId.GEMINI;
  }





  @Override
  public boolean accepts(String model) {
    return MODEL.matcher(model).matches() && properties.allows(model);
  }

  @Override
  public Flux<ProviderEvent> stream(ProviderRequest request) {
    return Flux.defer(() -> {
      if (!MODEL.matcher(request.model()).matches()) {
        // also checked before the call is planned; never let such a name near a URL
        return Flux.error(new ProviderException(FailureClass.CALLER_FAULT,
            "the model name is not valid for Gemini ([A-Za-z0-9._-]{1,128})"));
      }
      byte[] body = GeminiWire.MAPPER.writeValueAsBytes(GeminiWire.toGenerateRequest(request));
      return http.client().post()
          .uri("/models/{model}:streamGenerateContent?alt=sse", request.model())
          .headers(headers -> {
            headers.set("x-goog-api-key", apiKey.reveal());
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
      // Gemini labels these text/event-stream although the body is one JSON object: the status decides
      return ProviderHttp.readCapped(response, properties.maxErrorBodyBytes())
          .flatMapMany(bytes -> Flux.error(GeminiErrorClassifier.fromResponse(status, bytes)));
    }
    boolean json = response.headers().contentType()
        .map(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON))
        .orElse(false);
    if (json) {
      return ProviderHttp.readCapped(response, MAX_BODY_BYTES)
          .flatMapMany(bytes -> GeminiStreamDecoder.decodeBody(bytes).toFlux());
    }
    GeminiStreamDecoder decoder = new GeminiStreamDecoder();
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
    return "GeminiAdapter[baseUrl=" + baseUrl + "]";
  }
}
