package ai.gateway.simulator;

import ai.gateway.simulator.GeminiWire.Chunks;
import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Fail;
import ai.gateway.simulator.Scenario.Failure;
import ai.gateway.simulator.Scenario.Generate;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code POST /v1beta/models/{model}:generateContent} and {@code :streamGenerateContent?alt=sse} in Gemini's
 * wire format. The key must travel in the {@code x-goog-api-key} header: a {@code key=} query parameter is
 * rejected with 400 (the real API would accept it), so a gateway that puts a secret in a URL, where proxies
 * and access logs keep it, fails its tests.
 */
final class GeminiHandler {

  static final String PREFIX = "/v1beta/models/";
  static final String PROVIDER = "gemini";
  static final String API_KEY = "x-goog-api-key";
  static final String GENERATE = "generateContent";
  static final String STREAM = "streamGenerateContent";
  /** The design's Gemini model names: the model is a URL path segment. */
  static final Pattern MODEL = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private final Responder responder;
  private final Scenarios scenarios;

  GeminiHandler(Responder responder, Scenarios scenarios) {
    this.responder = responder;
    this.scenarios = scenarios;
  }

  /** Routes every {@code POST /v1beta/models/...}; the handler parses the model and method itself. */
  static boolean matches(HttpServerRequest request) {
    return request.method().equals(HttpMethod.POST) && request.uri().startsWith(PREFIX);
  }

  Mono<Void> generateContent(HttpServerRequest request, HttpServerResponse response) {
    Incoming incoming = new Incoming(request.requestHeaders().get(OpenAiHandler.CLIENT_REQUEST_ID),
        nonBlank(request.requestHeaders().get(API_KEY)), new QueryStringDecoder(request.uri()));
    return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
        .flatMap(body -> exchange(response, body, incoming));
  }

  /** What the simulator reads from the request line and headers, before the body arrives. */
  private record Incoming(@Nullable String clientRequestId, @Nullable String apiKey, QueryStringDecoder uri) {

    boolean authorized() {
      return apiKey != null;
    }

    @Nullable String parameter(String name) {
      List<String> values = uri.parameters().get(name);
      return values == null || values.isEmpty() ? null : values.get(0);
    }
  }

  private Mono<Void> exchange(HttpServerResponse response, String body, Incoming incoming) {
    String resource = incoming.uri().path().substring(PREFIX.length());
    int colon = resource.lastIndexOf(':');
    String model = colon < 0 ? resource : resource.substring(0, colon);
    String method = colon < 0 ? "" : resource.substring(colon + 1);
    boolean stream = method.equals(STREAM);
    String errorType = stream ? GeminiWire.EVENT_STREAM : GeminiWire.JSON;
    if (!stream && !method.equals(GENERATE)) {
      return reject(response, incoming, model, false, "invalid-request", GeminiWire.methodNotFound(method));
    }
    if (!MODEL.matcher(model).matches()) {
      return reject(response, incoming, model, stream, "invalid-request",
          GeminiWire.invalidArgument("* GenerateContentRequest.model: unexpected model name format\n", errorType));
    }
    if (incoming.uri().parameters().containsKey("key")) {
      // The message never repeats the key, and the ledger never records the URL.
      return reject(response, incoming, model, stream, "key-in-url", GeminiWire.invalidArgument("provider-simulator:"
          + " the API key must be sent in the x-goog-api-key header, never in the URL (key= query parameter).",
          errorType));
    }
    if (stream && !"sse".equals(incoming.parameter("alt"))) {
      return reject(response, incoming, model, true, "invalid-request", GeminiWire.invalidArgument(
          "provider-simulator: streamGenerateContent is served as server-sent events only; add alt=sse.", errorType));
    }
    if (incoming.apiKey() == null) {
      return reject(response, incoming, model, stream, "missing-api-key", GeminiWire.missingApiKey(errorType));
    }
    if (OpenAiHandler.INVALID_KEY.equals(incoming.apiKey())) {
      return reject(response, incoming, model, stream, "invalid-api-key",
          GeminiWire.error(Failure.INVALID_API_KEY, model, errorType));
    }
    GeminiRequest request;
    try {
      request = GeminiRequest.parse(body);
    } catch (InvalidRequestException e) {
      return reject(response, incoming, model, stream, "invalid-request",
          GeminiWire.invalidArgument(e.getMessage(), errorType));
    }
    Scenario scenario = scenarios.resolve(model, incoming.clientRequestId());
    // Rejected calls cost nothing at a real provider, so they report no prompt tokens either.
    long promptTokens = scenario instanceof Fail ? 0 : request.prompt().tokens();
    Call call = responder.open(response, new Call.Opening(PROVIDER, model, scenario.name(), stream,
        incoming.clientRequestId(), incoming.authorized(), promptTokens));
    if (scenario instanceof Fail fail) {
      return responder.send(response, call, GeminiWire.error(fail.failure(), model, errorType));
    }
    if (!(scenario instanceof Generate generate)) {
      return call.aborted(); // sim-silent: no headers, no body, until the caller gives up
    }
    Generate plan = generate.cappedAt(request.maxOutputTokens());
    return responder.answer(response, call, plan, request.prompt().seed(), stream, new Rendering(call, model, plan));
  }

  private Mono<Void> reject(HttpServerResponse response, Incoming incoming, String model, boolean stream,
      String scenario, WireResponse error) {
    Call call = responder.open(response, new Call.Opening(PROVIDER, model, scenario, stream,
        incoming.clientRequestId(), incoming.authorized(), 0));
    return responder.send(response, call, error);
  }

  private static @Nullable String nonBlank(@Nullable String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  /**
   * One call's answer as Gemini chunks or one body. {@code modelVersion} is the requested model. The last
   * content chunk of a finished answer carries the finish reason and the final usage, as 2025+ models send.
   */
  private static final class Rendering implements AnswerWire {

    private final Call call;
    private final String model;
    private final Generate plan;
    private final Chunks chunks;

    Rendering(Call call, String model, Generate plan) {
      this.call = call;
      this.model = model;
      this.plan = plan;
      this.chunks = new Chunks(model, call.callId(), call.promptTokens(), plan.reportsUsage());
    }

    @Override
    public Map<String, String> streamHeaders() {
      return GeminiWire.streamHeaders();
    }

    @Override
    public List<String> token(int index, String text) {
      boolean finishesHere = index == plan.tokens() - 1
          && (plan.ending() == Ending.STOP || plan.ending() == Ending.LENGTH);
      if (!finishesHere) {
        return List.of(chunks.content(text));
      }
      // No frame follows this one: it is the last, so the call finishes as it is handed out.
      if (chunks.reportsUsage()) {
        call.usageSent();
      }
      call.finish();
      return List.of(chunks.last(text, plan.ending(), plan.tokens()));
    }

    @Override
    public Flux<String> ending() {
      return switch (plan.ending()) {
        case MIDSTREAM_ERROR -> Flux.from(Responder.lastFrame(call, GeminiWire.midstreamError()));
        case CONTENT_FILTER -> Flux.from(Mono.fromCallable(() -> {
          if (chunks.reportsUsage()) {
            call.usageSent();
          }
          return chunks.safety(plan.tokens());
        })).concatMap(frame -> Responder.lastFrame(call, frame));
        default -> Flux.empty(); // STOP and LENGTH ended with the last token's chunk
      };
    }

    @Override
    public WireResponse body(String text) {
      if (plan.reportsUsage()) {
        call.usageSent();
      }
      return new WireResponse(200, GeminiWire.JSON, Map.of(), GeminiWire.response(text, plan.ending(),
          call.promptTokens(), plan.tokens(), plan.reportsUsage(), model, call.callId()));
    }

    @Override
    public WireResponse midstreamError() {
      return GeminiWire.error(Failure.SERVER_ERROR, model, GeminiWire.JSON);
    }
  }
}
