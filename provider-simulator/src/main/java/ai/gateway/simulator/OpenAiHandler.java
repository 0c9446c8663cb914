package ai.gateway.simulator;

import ai.gateway.simulator.OpenAiWire.Chunks;
import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Fail;
import ai.gateway.simulator.Scenario.Failure;
import ai.gateway.simulator.Scenario.Generate;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code POST /v1/chat/completions} in OpenAI's wire format. Parses and validates the request, resolves the
 * scenario, then answers as a stream ({@code data: {chunk}} events, finish chunk, optional usage chunk,
 * {@code data: [DONE]}) or as one {@code chat.completion} body, recording every call in the ledger.
 */
final class OpenAiHandler {

  static final String PATH = "/v1/chat/completions";
  static final String PROVIDER = "openai";
  /** The one key every wire format rejects, so tests can exercise a bad provider key. */
  static final String INVALID_KEY = "sk-sim-invalid";
  static final String CLIENT_REQUEST_ID = "X-Client-Request-Id";

  private final Responder responder;
  private final Scenarios scenarios;
  private final Clock clock;

  OpenAiHandler(Responder responder, Scenarios scenarios, Clock clock) {
    this.responder = responder;
    this.scenarios = scenarios;
    this.clock = clock;
  }

  Mono<Void> chatCompletions(HttpServerRequest request, HttpServerResponse response) {
    String clientRequestId = request.requestHeaders().get(CLIENT_REQUEST_ID);
    String apiKey = bearerToken(request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION));
    return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
        .flatMap(body -> exchange(response, body, clientRequestId, apiKey));
  }

  private Mono<Void> exchange(HttpServerResponse response, String body, @Nullable String clientRequestId,
      @Nullable String apiKey) {
    boolean authorized = apiKey != null;
    OpenAiRequest request;
    try {
      request = OpenAiRequest.parse(body);
    } catch (InvalidRequestException e) {
      Call call = open(response,
          new Call.Opening(PROVIDER, "", "invalid-request", false, clientRequestId, authorized, 0));
      return responder.send(response, call, OpenAiWire.invalidRequest(e));
    }
    String model = request.model();
    if (INVALID_KEY.equals(apiKey)) {
      Call call = open(response, new Call.Opening(PROVIDER, model, "invalid-api-key", request.stream(),
          clientRequestId, authorized, 0));
      return responder.send(response, call, OpenAiWire.error(Failure.INVALID_API_KEY, model, call.callId()));
    }
    Scenario scenario = scenarios.resolve(model, clientRequestId);
    // Rejected calls cost nothing at a real provider, so they report no prompt tokens either.
    long promptTokens = scenario instanceof Fail ? 0 : request.prompt().tokens();
    Call call = open(response, new Call.Opening(PROVIDER, model, scenario.name(), request.stream(), clientRequestId,
        authorized, promptTokens));
    if (scenario instanceof Fail fail) {
      return responder.send(response, call, OpenAiWire.error(fail.failure(), model, call.callId()));
    }
    if (!(scenario instanceof Generate generate)) {
      return call.aborted(); // sim-silent: no headers, no body, until the caller gives up
    }
    Generate plan = generate.cappedAt(request.maxTokens());
    return responder.answer(response, call, plan, request.prompt().seed(), request.stream(),
        new Rendering(call, request, plan, clock.instant().getEpochSecond()));
  }

  private Call open(HttpServerResponse response, Call.Opening opening) {
    Call call = responder.open(response, opening);
    response.header("x-request-id", "req_" + call.callId());
    return call;
  }

  private static @Nullable String bearerToken(@Nullable String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = authorization.substring(7).strip();
    return token.isEmpty() ? null : token;
  }

  /** One call's answer as Chat Completions chunks or one {@code chat.completion} body. */
  private static final class Rendering implements AnswerWire {

    private final Call call;
    private final OpenAiRequest request;
    private final Generate plan;
    private final long created;
    private final Chunks chunks;

    Rendering(Call call, OpenAiRequest request, Generate plan, long created) {
      this.call = call;
      this.request = request;
      this.plan = plan;
      this.created = created;
      this.chunks = new Chunks(completionId(), created, OpenAiWire.reportedModel(request.model()),
          request.includeUsage());
    }

    @Override
    public Map<String, String> streamHeaders() {
      return Map.of(HttpHeaderNames.CONTENT_TYPE.toString(), "text/event-stream",
          HttpHeaderNames.CACHE_CONTROL.toString(), "no-cache");
    }

    @Override
    public List<String> token(int index, String text) {
      return index == 0 ? List.of(chunks.role(), chunks.content(text)) : List.of(chunks.content(text));
    }

    @Override
    public Flux<String> ending() {
      Mono<String> done = Responder.lastFrame(call, OpenAiWire.DONE);
      if (plan.ending() == Ending.MIDSTREAM_ERROR) {
        return Flux.concat(Mono.just(chunks.serverError()), done);
      }
      Mono<String> finish = Mono.just(chunks.finish(OpenAiWire.finishReason(plan.ending())));
      if (!request.includeUsage() || !plan.reportsUsage()) {
        return Flux.concat(finish, done);
      }
      Mono<String> usage = Mono.fromCallable(() -> {
        call.usageSent();
        return chunks.usage(call.promptTokens(), plan.tokens());
      });
      return Flux.concat(finish, usage, done);
    }

    @Override
    public WireResponse body(String text) {
      String usage = null;
      if (plan.reportsUsage()) {
        usage = OpenAiWire.usage(call.promptTokens(), plan.tokens());
        call.usageSent();
      }
      return new WireResponse(200, "application/json", Map.of(), OpenAiWire.completion(completionId(), created,
          OpenAiWire.reportedModel(request.model()), text, OpenAiWire.finishReason(plan.ending()), usage));
    }

    @Override
    public WireResponse midstreamError() {
      return OpenAiWire.error(Failure.SERVER_ERROR, request.model(), call.callId());
    }

    private String completionId() {
      return "chatcmpl-" + call.callId();
    }
  }
}
