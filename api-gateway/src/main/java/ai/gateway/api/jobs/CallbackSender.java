package ai.gateway.api.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.resolver.AddressResolverGroup;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;

/**
 * One delivery attempt: a signed POST of a callback body. Only a 2xx answer is a success. Redirects are not
 * followed (a 3xx is a failure: its {@code Location} could name an internal address). At most
 * {@code maxResponseBytes} of the answer are read, then the connection is closed; the attempt as a whole is
 * bounded by {@code attemptTimeout}. Connections are never pooled: each attempt resolves, and so vets, its
 * host again.
 */
final class CallbackSender {

  private static final Logger log = LoggerFactory.getLogger(CallbackSender.class);

  /** What an attempt came to: {@code lastStatus} as shown on the job, and whether it counts as delivered. */
  record Outcome(String status, boolean delivered, boolean gone, @Nullable Duration retryAfter) {

    Outcome(String status, boolean delivered, boolean gone) {
      this(status, delivered, gone, null);
    }

    static Outcome of(int code) {
      return new Outcome(Integer.toString(code), code >= 200 && code < 300, code == 410);
    }

    /** A 429 or 503 may say when to come back (seconds, or an HTTP date); other answers' Retry-After is ignored. */
    static Outcome of(int code, @Nullable String retryAfter, java.time.Instant now) {
      Outcome outcome = of(code);
      if ((code != 429 && code != 503) || retryAfter == null) {
        return outcome;
      }
      Duration wait = null;
      try {
        wait = Duration.ofSeconds(Long.parseLong(retryAfter.trim()));
      } catch (NumberFormatException notSeconds) {
        try {
          wait = Duration.between(now, java.time.ZonedDateTime.parse(retryAfter.trim(),
              java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (java.time.format.DateTimeParseException notADate) {
          return outcome;
        }
      }
      return wait.isNegative() || wait.isZero() ? outcome
          : new Outcome(outcome.status(), false, false, wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait);
    }
  }

  /** A receiver cannot push its callbacks out further than this with Retry-After. */
  static final Duration MAX_RETRY_AFTER = Duration.ofHours(24);

  static final String BLOCKED = "blocked";
  static final String TIMEOUT = "timeout";
  static final String UNREACHABLE = "unreachable";

  private final HttpClient client;
  private final long maxResponseBytes;
  private final Duration attemptTimeout;

  CallbackSender(AddressResolverGroup<java.net.InetSocketAddress> resolver, Set<String> allowedHosts,
                 Duration connectTimeout, Duration responseTimeout, Duration attemptTimeout, long maxResponseBytes) {
    this.client = HttpClient.newConnection()
        .resolver(new VettingResolverGroup(resolver, allowedHosts))
        .noProxy()
        .followRedirect(false)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
        .responseTimeout(responseTimeout)
        .headers(headers -> headers.set(HttpHeaderNames.USER_AGENT, "ai-gateway-callbacks"));
    this.maxResponseBytes = maxResponseBytes;
    this.attemptTimeout = attemptTimeout;
  }

  /**
   * POSTs {@code body} to {@code url} with the Standard Webhooks headers, signed by {@code signer} (the
   * receiving user's keys); never fails, the outcome says how it went.
   */
  Mono<Outcome> send(String url, String webhookId, long timestampSeconds, String body, WebhookSigner signer) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String signature = signer.sign(webhookId, timestampSeconds, body);
    return client
        .headers(headers -> headers
            .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
            .set("webhook-id", webhookId)
            .set("webhook-timestamp", Long.toString(timestampSeconds))
            .set("webhook-signature", signature))
        .post()
        .uri(url)
        .send(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(bytes)))
        .response((response, content) -> content
            // Read at most maxResponseBytes: cancelling the body closes the (unpooled) connection.
            .scan(0L, (read, buffer) -> read + buffer.readableBytes())
            .takeUntil(read -> read >= maxResponseBytes)
            .then(Mono.fromSupplier(() -> Outcome.of(response.status().code(),
                response.responseHeaders().get(HttpHeaderNames.RETRY_AFTER), java.time.Instant.now()))))
        .next()
        .timeout(attemptTimeout, Mono.error(TimeoutException::new))
        .onErrorResume(failure -> Mono.just(failed(url, failure)));
  }

  private static Outcome failed(String url, Throwable failure) {
    Throwable cause = failure;
    while (cause != null) {
      if (cause instanceof VettingResolverGroup.BlockedAddressException) {
        log.info("callback to {} refused: {}", hostOf(url), cause.getMessage());
        return new Outcome(BLOCKED, false, false);
      }
      if (cause instanceof TimeoutException || cause instanceof io.netty.handler.timeout.ReadTimeoutException
          || cause instanceof io.netty.channel.ConnectTimeoutException) {
        return new Outcome(TIMEOUT, false, false);
      }
      cause = cause.getCause();
    }
    log.info("callback to {} failed: {}", hostOf(url), failure.toString());
    return new Outcome(UNREACHABLE, false, false);
  }

  /** Only the host is logged: a callback URL's path and query may carry the receiver's own tokens. */
  private static String hostOf(String url) {
    try {
      return java.net.URI.create(url).getHost();
    } catch (IllegalArgumentException e) {
      return "?";
    }
  }
}
