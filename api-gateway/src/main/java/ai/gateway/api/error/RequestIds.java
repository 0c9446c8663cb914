package ai.gateway.api.error;

import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Gives every request an id that correlates the response, the problem body, the job on Kafka and the
 * logs: the caller's {@code X-Request-Id} when it is well-formed, a fresh UUID otherwise. A malformed
 * header is answered 400 with a fresh id; its value is never reflected into a header, a body or a log
 * (a CRLF in it would otherwise split a response header or forge a log line).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public final class RequestIds implements WebFilter {

  public static final String HEADER = "X-Request-Id";
  private static final String ATTRIBUTE = RequestIds.class.getName() + ".id";
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,255}");

  /** The request's id; a fresh one if the filter has not run (a request rejected before it). */
  public static String of(ServerWebExchange exchange) {
    String id = exchange.getAttribute(ATTRIBUTE);
    if (id == null) {
      id = UUID.randomUUID().toString();
      exchange.getAttributes().put(ATTRIBUTE, id);
    }
    return id;
  }

  static boolean isValid(String value) {
    return VALID.matcher(value).matches();
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    List<String> values = exchange.getRequest().getHeaders().getValuesAsList(HEADER);
    boolean valid = values.isEmpty() || (values.size() == 1 && isValid(values.get(0)));
    String id = valid && !values.isEmpty() ? values.get(0) : UUID.randomUUID().toString();
    exchange.getAttributes().put(ATTRIBUTE, id);
    exchange.getResponse().getHeaders().set(HEADER, id);
    if (!valid) {
      return Mono.error(ApiError.invalidField(HEADER, "must match [A-Za-z0-9_-]{1,255} and appear once").exception());
    }
    return chain.filter(exchange);
  }
}
