package ai.gateway.api.error;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.util.DisconnectedClientHelper;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place errors become HTTP: RFC 9457 {@code application/problem+json} with the design's fields.
 * It runs before Spring Boot's and Sentry's handlers and answers everything itself, so neither the
 * default error page (which can include exception messages) nor Sentry's catch-all (which would report
 * every 400) ever sees an error.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
final class ProblemHandler implements WebExceptionHandler {

  private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

  private final JsonMapper json;
  private final ErrorReporter reporter;

  ProblemHandler(JsonMapper json, ErrorReporter reporter) {
    this.json = json;
    this.reporter = reporter;
  }

  /** The problem body; {@code provider} and {@code errors} only when there are any. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Problem(String type, String title, int status, String detail, String code, boolean retryable,
                 @Nullable String provider, String requestId, @Nullable List<FieldViolation> errors) {

    static Problem of(ApiError error, String requestId) {
      return new Problem(error.code().type(), error.code().title(), error.status(), error.detail(), error.code().name(),
          error.retryable(), error.provider(), requestId, error.errors().isEmpty() ? null : error.errors());
    }
  }

  @Override
  public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
    if (DisconnectedClientHelper.isClientDisconnectedException(failure)) {
      // The client left (reset, broken pipe): nobody to answer, and not an error of ours to report.
      log.debug("request {}: client disconnected", RequestIds.of(exchange));
      return Mono.empty();
    }
    ApiError error = Problems.classify(failure);
    String requestId = RequestIds.of(exchange);
    reporter.report(error, failure, requestId);
    ServerHttpResponse response = exchange.getResponse();
    if (response.isCommitted()) {
      // Headers are out (a stream that already sent events): nothing left but closing the connection.
      log.debug("request {}: response already committed, closing", requestId);
      return Mono.error(failure);
    }
    response.setStatusCode(HttpStatusCode.valueOf(error.status()));
    HttpHeaders headers = response.getHeaders();
    headers.remove(HttpHeaders.CONTENT_LENGTH);
    headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    headers.set(RequestIds.HEADER, requestId);
    if (error.carriesRetryAfter()) {
      headers.set(HttpHeaders.RETRY_AFTER, Long.toString(error.retryAfterSeconds()));
    }
    if (error.status() == 401 && !headers.containsHeader(HttpHeaders.WWW_AUTHENTICATE)) {
      // RFC 9110: a 401 carries a challenge. The security entry point sets a more precise one when it answers.
      headers.set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"ai-gateway\"");
    }
    if (failure instanceof MethodNotAllowedException notAllowed) {
      headers.setAllow(notAllowed.getSupportedMethods());
    }
    byte[] body = json.writeValueAsBytes(Problem.of(error, requestId));
    return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
  }
}
