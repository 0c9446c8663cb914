package ai.gateway.worker.provider;

import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.PrematureCloseException;
import reactor.netty.resources.ConnectionProvider;

/**
 * The HTTP side every adapter shares: a WebClient on its own Reactor Netty connection pool, sized from the
 * provider's configuration, with the idle timeout as Reactor Netty's response timeout (the longest silence
 * between two network reads, from the request until the headers and then between body reads, so SSE
 * keep-alives count as life), bounded reads of error bodies, and transport failures classified by type.
 *
 * <p>Cancelling a response stream closes its connection, which is how a provider learns that nobody listens
 * any more (and stops billing the answer).
 */
public final class ProviderHttp implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ProviderHttp.class);

  private final ConnectionProvider connections;
  private final WebClient client;
  private final Duration idleTimeout;
  private final IntConsumer onRead;
  private final String base;

  /**
   * @param name the pool's name (metrics, thread names), the provider's name
   * @param onRead sees the size of every network read of a stream body (tests prove reads stay separate)
   */
  public ProviderHttp(String name, ProviderProperties properties, URI baseUrl, IntConsumer onRead) {
    this.idleTimeout = properties.idleTimeout();
    this.onRead = onRead;
    String url = baseUrl.toString();
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.connections = ConnectionProvider.builder(name)
        .maxConnections(properties.maxConnections())
        .pendingAcquireMaxCount(properties.pendingAcquireMaxCount())
        .pendingAcquireTimeout(properties.pendingAcquireTimeout())
        .maxIdleTime(properties.maxIdleTime())
        .maxLifeTime(properties.maxLifeTime())
        .evictInBackground(properties.maxIdleTime().dividedBy(2))
        .build();
    HttpClient http = HttpClient.create(connections)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(properties.connectTimeout().toMillis()))
        .responseTimeout(properties.idleTimeout())
        // when the connection is open and the request is about to be written (the write follows in the same
        // event-loop task, so a cancel cannot fall between the two); the after-request hook comes later and,
        // on a busy event loop, after the provider may already have answered
        .doOnRequest((request, connection) -> RequestSent.signal(request.currentContextView()));
    this.client = WebClient.builder()
        .clientConnector(new ReactorClientHttpConnector(http))
        .baseUrl(baseUrl.toString())
        .build();
  }

  public WebClient client() {
    return client;
  }

  /**
   * The absolute URI of a fixed path under the base URL, made once: a request given a {@code URI} skips the
   * URI-template parsing and expansion WebClient does for a {@code String} on every call (about an eighth of
   * starting a call, in a profile of 2,000 starting at once).
   */
  public URI endpoint(String path) {
    return URI.create(base + path);
  }

  /** The body as the network delivered it, read by read, each read's buffer released at once. */
  public Flux<byte[]> reads(ClientResponse response) {
    return response.bodyToFlux(DataBuffer.class).map(this::drain);
  }

  /** Reads at most {@code cap} bytes and drops the rest: an error page is never worth megabytes. */
  public static Mono<byte[]> readCapped(ClientResponse response, int cap) {
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
  public ProviderException transportFailure(Throwable error) {
    if (error instanceof ProviderException failure) {
      return failure;
    }
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof ReadTimeoutException || cause instanceof TimeoutException) {
        return new ProviderException(FailureClass.TIMEOUT,
            "the provider sent nothing for " + idleTimeout.toMillis() + " ms", null, error);
      }
      if (cause instanceof ConnectTimeoutException) {
        return new ProviderException(FailureClass.TIMEOUT, "connecting to the provider timed out", null, error);
      }
      if (cause instanceof PrematureCloseException) {
        return new ProviderException(FailureClass.TRANSIENT,
            "the provider closed the connection before the answer was complete", null, error);
      }
    }
    log.debug("provider call failed in transport", error);
    return new ProviderException(FailureClass.TRANSIENT, "the provider could not be reached", null, error);
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

  @Override
  public void close() {
    connections.dispose();
  }
}
