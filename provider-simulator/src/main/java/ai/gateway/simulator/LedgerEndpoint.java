package ai.gateway.simulator;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/** {@code /_sim/*}: the ledger over HTTP for tests in other processes, and a health check. */
final class LedgerEndpoint {

  static final String LEDGER = "/_sim/ledger";
  static final String HEALTH = "/_sim/health";

  private final Ledger ledger;

  LedgerEndpoint(Ledger ledger) {
    this.ledger = ledger;
  }

  /** The entries as a JSON array, oldest first; {@code ?clientRequestId=} filters by that header. */
  Mono<Void> list(HttpServerRequest request, HttpServerResponse response) {
    List<String> ids = new QueryStringDecoder(request.uri()).parameters().get("clientRequestId");
    List<LedgerEntry> entries = ids == null || ids.isEmpty() ? ledger.entries() : ledger.byClientRequestId(ids.get(0));
    return json(response, Json.write(entries));
  }

  Mono<Void> clear(HttpServerRequest request, HttpServerResponse response) {
    ledger.clear();
    return response.status(204).send();
  }

  Mono<Void> health(HttpServerRequest request, HttpServerResponse response) {
    return json(response, "{\"status\":\"UP\"}");
  }

  private static Mono<Void> json(HttpServerResponse response, String body) {
    return response.status(200)
        .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
        .sendString(Mono.just(body))
        .then();
  }
}
