package ai.gateway.api.access;

import java.util.concurrent.atomic.AtomicLong;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Caps request bodies before anything reads them: a declared {@code Content-Length} over the cap is
 * refused without reading a byte; a chunked body is counted as it arrives and the read stops (and the
 * buffers are released) at the first byte past the cap. The codecs' {@code max-in-memory-size} is a
 * second fence for code that aggregates bodies itself.
 */
final class BodyLimitFilter implements WebFilter, Ordered {

  /** The one route with its own cap: a batch body is read as a stream, never held whole. */
  static final String BATCHES = "/v1/batches";

  private final long defaultMaxBytes;
  private final long batchMaxBytes;

  BodyLimitFilter(long maxBytes, long batchMaxBytes) {
    this.defaultMaxBytes = maxBytes;
    this.batchMaxBytes = batchMaxBytes;
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE + 10; // after RequestIds, so a 413 carries the request id
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    ServerHttpRequest request = exchange.getRequest();
    long maxBytes = HttpMethod.POST.equals(request.getMethod()) && BATCHES.equals(request.getPath().value())
        ? batchMaxBytes : defaultMaxBytes;
    if (request.getHeaders().getContentLength() > maxBytes) {
      return Mono.error(tooLarge(maxBytes));
    }
    ServerHttpRequest counted = new ServerHttpRequestDecorator(request) {
      @Override
      public Flux<DataBuffer> getBody() {
        return Flux.defer(() -> {
          AtomicLong seen = new AtomicLong();
          return super.getBody().handle((buffer, sink) -> {
            if (seen.addAndGet(buffer.readableByteCount()) > maxBytes) {
              DataBufferUtils.release(buffer);
              sink.error(tooLarge(maxBytes));
            } else {
              sink.next(buffer);
            }
          });
        });
      }
    };
    return chain.filter(exchange.mutate().request(counted).build());
  }

  private static ApiException tooLarge(long maxBytes) {
    return ApiError.of(ErrorCode.INVALID_REQUEST, "The request body exceeds the limit of " + maxBytes + " bytes.")
        .withStatus(413).exception();
  }
}
