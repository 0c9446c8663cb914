package ai.gateway.simulator;

import ai.gateway.simulator.AnthropicWire.Events;
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
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/messages} in Anthropic's wire format. Checks the {@code x-api-key} and
 * {@code anthropic-version} headers and the body, resolves the scenario, then answers as a stream
 * ({@code message_start}, {@code content_block_start}, {@code ping}, one {@code content_block_delta} per
 * token, {@code content_block_stop}, {@code message_delta}, {@code message_stop}) or as one {@code message}.
 */
final class AnthropicHandler {

  static final String PATH = "/v1/messages";
  static final String PROVIDER = "anthropic";
  static final String API_KEY = "x-api-key";
  static final String VERSION = "anthropic-version";

  private final Responder responder;
  private final Scenarios scenarios;
  private final Clock clock;

  AnthropicHandler(Responder responder, Scenarios scenarios, Clock clock) {
    this.responder = responder;
    this.scenarios = scenarios;
    this.clock = clock;
  }

  Mono<Void> messages(HttpServerRequest request, HttpServerResponse response) {
    String clientRequestId = request.requestHeaders().get(OpenAiHandler.CLIENT_REQUEST_ID);
    String apiKey = nonBlank(request.requestHeaders().get(API_KEY));
    String version = nonBlank(request.requestHeaders().get(VERSION));
    return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
        .flatMap(body -> exchange(response, body, clientRequestId, apiKey, version));
  }

  private Mono<Void> exchange(HttpServerResponse response, String body, @Nullable String clientRequestId,
      @Nullable String apiKey, @Nullable String version) {
    boolean authorized = apiKey != null;
    // Authentication comes before validation, as at Anthropic: a bad key never learns what else was wrong.
    JsonNode tree = AnthropicRequest.tree(body);
    String model = AnthropicRequest.model(tree);
    boolean stream = AnthropicRequest.stream(tree);
    if (apiKey == null || OpenAiHandler.INVALID_KEY.equals(apiKey)) {
      String scenario = apiKey == null ? "missing-api-key" : "invalid-api-key";
      Call call = responder.open(response,
          new Call.Opening(PROVIDER, model, scenario, stream, clientRequestId, authorized, 0));
      return responder.send(response, call, apiKey == null
          ? AnthropicWire.missingApiKey(requestId(call))
          : AnthropicWire.error(Failure.INVALID_API_KEY, model, requestId(call), clock.instant()));
    }
    AnthropicRequest request;
    try {
      if (version == null) {
        throw new InvalidRequestException("anthropic-version: header is required", null, null);
      }
      request = AnthropicRequest.parse(body);
    } catch (InvalidRequestException e) {
      Call call = responder.open(response,
          new Call.Opening(PROVIDER, model, "invalid-request", stream, clientRequestId, authorized, 0));
      return responder.send(response, call, AnthropicWire.invalidRequest(e.getMessage(), requestId(call)));
    }
    Scenario scenario = scenarios.resolve(model, clientRequestId);
    // Rejected calls cost nothing at a real provider, so they report no prompt tokens either.
    long promptTokens = scenario instanceof Fail ? 0 : request.prompt().tokens();
    Call call = responder.open(response, new Call.Opening(PROVIDER, model, scenario.name(), request.stream(),
        clientRequestId, authorized, promptTokens));
    if (scenario instanceof Fail fail) {
      return responder.send(response, call,
          AnthropicWire.error(fail.failure(), model, requestId(call), clock.instant()));
    }
    if (!(scenario instanceof Generate generate)) {
      return call.aborted(); // sim-silent: no headers, no body, until the caller gives up
    }
    Generate plan = generate.cappedAt(request.maxTokens());
    return responder.answer(response, call, plan, request.prompt().seed(), request.stream(),
        new Rendering(call, request, plan, clock));
  }

  private static String requestId(Call call) {
    return "req_" + call.callId();
  }

  private static @Nullable String nonBlank(@Nullable String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  /** One call's answer as Messages events or one {@code message} body. The model is echoed as requested. */
  private static final class Rendering implements AnswerWire {

    private final Call call;
    private final AnthropicRequest request;
    private final Generate plan;
    private final Clock clock;
    private final Events events;

    Rendering(Call call, AnthropicRequest request, Generate plan, Clock clock) {
      this.call = call;
      this.request = request;
      this.plan = plan;
      this.clock = clock;
      this.events = new Events(messageId(), request.model());
    }

    @Override
    public Map<String, String> streamHeaders() {
      return Map.of(HttpHeaderNames.CONTENT_TYPE.toString(), AnthropicWire.EVENT_STREAM,
          HttpHeaderNames.CACHE_CONTROL.toString(), "no-cache",
          "request-id", requestId(call));
    }

    @Override
    public List<String> token(int index, String text) {
      String delta = events.textDelta(text);
      return index == 0
          ? List.of(events.messageStart(call.promptTokens()), AnthropicWire.CONTENT_BLOCK_START, AnthropicWire.PING,
              delta)
          : List.of(delta);
    }

    @Override
    public Flux<String> ending() {
      if (plan.ending() == Ending.MIDSTREAM_ERROR) {
        // The stream ends after the error event: no content_block_stop, message_delta or message_stop.
        return Flux.from(Responder.lastFrame(call, AnthropicWire.OVERLOADED_EVENT));
      }
      Mono<String> delta = Mono.fromCallable(() -> {
        if (plan.reportsUsage()) {
          call.usageSent();
        }
        return events.messageDelta(plan.ending(), call.promptTokens(), plan.tokens(), plan.reportsUsage());
      });
      return Flux.concat(Mono.just(AnthropicWire.CONTENT_BLOCK_STOP), delta,
          Responder.lastFrame(call, AnthropicWire.MESSAGE_STOP));
    }

    @Override
    public WireResponse body(String text) {
      if (plan.reportsUsage()) {
        call.usageSent();
      }
      return new WireResponse(200, AnthropicWire.JSON, Map.of("request-id", requestId(call)),
          AnthropicWire.message(messageId(), request.model(), text, plan.ending(), call.promptTokens(),
              plan.tokens(), plan.reportsUsage()));
    }

    /** Non-stream: the 529 that the stream's {@code overloaded_error} event stands for. */
    @Override
    public WireResponse midstreamError() {
      return AnthropicWire.error(Failure.OVERLOADED, request.model(), requestId(call), clock.instant());
    }

    private String messageId() {
      return "msg_" + call.callId();
    }
  }
}
