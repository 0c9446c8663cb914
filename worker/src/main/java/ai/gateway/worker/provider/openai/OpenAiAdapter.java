package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.ProviderAdapter;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderId;
import ai.gateway.worker.provider.ProviderRequest;
import ai.gateway.worker.provider.Secret;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;
import reactor.netty.resources.ConnectionProvider;

/**
 * OpenAI Chat Completions (and any compatible server: vLLM, Ollama, llama.cpp) over a streaming
 * {@code POST {baseUrl}/chat/completions}.
 *
 * <p>The key travels only in the {@code Authorization} header. The idle timeout is Reactor Netty's
 * response timeout: the longest silence between two network reads, from the request until the headers
 * and then between body reads, so SSE keep-alive comments count as life. The overall deadline is the
 * caller's. Cancelling the returned stream closes the connection, which is how the provider learns that
 * nobody listens any more (and stops billing the answer).
 */
public final class OpenAiAdapter implements ProviderAdapter, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OpenAiAdapter.class);
  /** A non-stream completion body is read whole; bounded like everything else read from the network. */
  private static final int MAX_COMPLETION_BYTES = 16 * 1024 * 1024;

  private final OpenAiProperties properties;
  private final Secret apiKey;
  private final ConnectionProvider connections;
  private final WebClient client;
  private final Clock clock;
  private final IntConsumer onRead;

  public OpenAiAdapter(OpenAiProperties properties) {
    this(properties, Clock.systemUTC(), bytes -> { });
  }

  /** @param onRead sees the size of every network read of a stream body (tests prove reads stay separate) */
  OpenAiAdapter(OpenAiProperties properties, Clock clock, IntConsumer onRead) {
    this.properties = properties;
    this.apiKey = Objects.requireNonNull(properties.resolvedApiKey(), "OpenAI is not configured: no API key");
    this.clock = clock;
    this.onRead = onRead;
    this.connections = ConnectionProvider.builder("openai")
        .maxConnections(properties.maxConnections())
        .pendingAcquireMaxCount(properties.pendingAcquireMaxCount())
        .pendingAcquireTimeout(properties.pendingAcquireTimeout())
        .maxIdleTime(properties.maxIdleTime())
        .maxLifeTime(properties.maxLifeTime())
        .evictInBackground(properties.maxIdleTime().dividedBy(2))
        .build();
    HttpClient http = HttpClient.create(connections)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(properties.connectTimeout().toMillis()))
        .responseTimeout(properties.idleTimeout());
    this.client = WebClient.builder()
        .clientConnector(new ReactorClientHttpConnector(http))
        .baseUrl(properties.resolvedBaseUrl().toString())
        .build();
  }

  @Override
  public ProviderId id() {
    return ProviderId.OPENAI;
  }

  @Override
  public String defaultModel() {
    return properties.defaultModel();
  }

  @Override
  public Flux<ProviderEvent> stream(ProviderRequest request) {
    return Flux.defer(() -> {
      byte[] body = OpenAiWire.MAPPER.writeValueAsBytes(OpenAiWire.toChatRequest(request));
      return client.post()
          .uri("/chat/completions")
          .headers(headers -> {
            headers.setBearerAuth(apiKey.reveal());
            headers.set("X-Client-Request-Id", request.clientRequestId());
          })
          .contentType(MediaType.APPLICATION_JSON)
          .accept(MediaType.TEXT_EVENT_STREAM, MediaType.APPLICATION_JSON)
          .bodyValue(body)
          .exchangeToFlux(this::answer)
          .onErrorMap(e -> !(e instanceof ProviderException), this::transportFailure);
    });
  }

  private Flux<ProviderEvent> answer(ClientResponse response) {
    int status = response.statusCode().value();
    if (status < 200 || status >= 300) {
      return readCapped(response, properties.maxErrorBodyBytes())
          .flatMapMany(bytes -> Flux.error(
              OpenAiErrorClassifier.fromResponse(status, response.headers().asHttpHeaders(), bytes, clock)));
    }
    boolean json = response.headers().contentType()
        .map(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON))
        .orElse(false);
    if (json) {
      return readCapped(response, MAX_COMPLETION_BYTES)
          .flatMapMany(bytes -> OpenAiStreamDecoder.decodeCompletion(bytes).toFlux());
    }
    OpenAiStreamDecoder decoder = new OpenAiStreamDecoder();
    return response.bodyToFlux(DataBuffer.class)
        .map(this::drain)
        .concatMap(bytes -> decoder.decode(bytes).toFlux())
        .concatWith(Flux.defer(() -> decoder.end().toFlux()));
  }

  private byte[] drain(DataBuffer buffer) {
    try {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.read(bytes);
      onRead.accept(bytes.length);
      return bytes;
    } finally {
      DataBufferUtils.release(buffer);
    }
  }

  /** Reads at most {@code cap} bytes and drops the rest: an error page is never worth megabytes. */
  private static Mono<byte[]> readCapped(ClientResponse response, int cap) {
    return response.bodyToFlux(DataBuffer.class)
        .reduceWith(ByteArrayOutputStream::new, (out, buffer) -> {
          try {
            int room = cap - out.size();
            if (room > 0) {
              byte[] bytes = new byte[Math.min(room, buffer.readableByteCount())];
              buffer.read(bytes);
              out.write(bytes, 0, bytes.length);
            }
            return out;
          } finally {
            DataBufferUtils.release(buffer);
          }
        })
        .map(ByteArrayOutputStream::toByteArray)
        .defaultIfEmpty(new byte[0]);
  }

  /**
   * Network failures, classified by type. The safe message never quotes the exception: Reactor Netty's
   * messages name the URL.
   */
  private ProviderException transportFailure(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof ReadTimeoutException || cause instanceof TimeoutException) {
        return new ProviderException(FailureClass.TIMEOUT,
            "the provider sent nothing for " + properties.idleTimeout().toMillis() + " ms", null, error);
      }
      if (cause instanceof ConnectTimeoutException) {
        return new ProviderException(FailureClass.TIMEOUT, "connecting to the provider timed out", null, error);
      }
      if (cause instanceof PrematureCloseException) {
        return new ProviderException(FailureClass.TRANSIENT,
            "the provider closed the connection before the answer was complete", null, error);
      }
    }
    log.debug("OpenAI call failed in transport", error);
    return new ProviderException(FailureClass.TRANSIENT, "the provider could not be reached", null, error);
  }

  @Override
  public void close() {
    connections.dispose();
  }

  @Override
  public String toString() {
    return "OpenAiAdapter[baseUrl=" + properties.resolvedBaseUrl() + "]";
  }
}
