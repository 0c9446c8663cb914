package ai.gateway.simulator;

import ai.gateway.simulator.OpenAiWire.Chunks;
import ai.gateway.simulator.OpenAiWire.ErrorResponse;
import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Fail;
import ai.gateway.simulator.Scenario.Failure;
import ai.gateway.simulator.Scenario.Generate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.channel.AbortedException;
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
  /** The one key the simulator rejects, so tests can exercise a bad provider key. */
  static final String INVALID_KEY = "sk-sim-invalid";
  static final String CLIENT_REQUEST_ID = "X-Client-Request-Id";

  private final Ledger ledger;
  private final Scenarios scenarios;
  private final Clock clock;
  private final EventLoopTimers timers = new EventLoopTimers();

  OpenAiHandler(Ledger ledger, Scenarios scenarios, Clock clock) {
    this.ledger = ledger;
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
      return sendError(response, call, OpenAiWire.invalidRequest(e));
    }
    String model = request.model();
    if (INVALID_KEY.equals(apiKey)) {
      Call call = open(response, new Call.Opening(PROVIDER, model, "invalid-api-key", request.stream(),
          clientRequestId, authorized, 0));
      return sendError(response, call, OpenAiWire.error(Failure.INVALID_API_KEY, model, call.callId()));
    }
    Scenario scenario = scenarios.resolve(model, clientRequestId);
    // Rejected calls cost nothing at a real provider, so they report no prompt tokens either.
    long promptTokens = scenario instanceof Fail ? 0 : request.prompt().tokens();
    Call call = open(response, new Call.Opening(PROVIDER, model, scenario.name(), request.stream(), clientRequestId,
        authorized, promptTokens));
    if (scenario instanceof Fail fail) {
      return sendError(response, call, OpenAiWire.error(fail.failure(), model, call.callId()));
    }
    if (!(scenario instanceof Generate generate)) {
      return call.aborted(); // sim-silent: no headers, no body, until the caller gives up
    }
    Generate plan = generate.cappedAt(request.maxTokens());
    Scheduler timer = timers.of(response);
    Mono<Void> answer = request.stream()
        ? stream(response, call, request, plan, timer)
        : complete(response, call, request, plan, timer);
    // A write that fails because the connection broke is the caller going away, not a simulator fault.
    return answer.onErrorResume(e -> e instanceof AbortedException || e instanceof IOException, e -> {
      call.abort();
      return Mono.empty();
    });
  }

  private Mono<Void> stream(HttpServerResponse response, Call call, OpenAiRequest request, Generate plan,
      Scheduler timer) {
    Chunks chunks = new Chunks(completionId(call), clock.instant().getEpochSecond(),
        OpenAiWire.reportedModel(request.model()), request.includeUsage());
    Answer answer = new Answer(request.prompt().seed());
    Flux<String> tokens = Timeline.tokens(plan.pacing().withoutFirstTokenDelay(), plan.tokens(), timer)
        .concatMapIterable(i -> {
          String token = answer.token(i);
          call.responded(200);
          call.sent(token);
          return i == 0 ? List.of(chunks.role(), chunks.content(token)) : List.of(chunks.content(token));
        });
    Flux<String> ending = Flux.defer(() -> ending(call, request, plan, chunks));
    Flux<ByteBuf> frames = tokens.concatWith(ending)
        .map(OpenAiHandler::utf8)
        .takeUntilOther(call.aborted())
        .doOnCancel(call::abort);
    // Headers go out with the first token, as a provider's do: until then the caller sees nothing.
    return Mono.delay(plan.pacing().firstToken(), timer)
        .takeUntilOther(call.aborted())
        .flatMap(tick -> response.status(200)
            .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
            .header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
            .header("x-request-id", requestId(call))
            // flush every event on its own: a token must reach the caller when it is produced
            .send(frames, frame -> true)
            .then()
            .then(Mono.fromRunnable(() -> end(response, call, plan.ending()))));
  }

  private Flux<String> ending(Call call, OpenAiRequest request, Generate plan, Chunks chunks) {
    if (plan.ending() == Ending.STALL) {
      return Flux.never();
    }
    if (plan.ending() == Ending.TRUNCATE) {
      return Flux.empty();
    }
    Mono<String> done = lastFrame(call, OpenAiWire.DONE);
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

  /**
   * The call counts as finished when its last frame is handed to Netty, so the ledger is complete before
   * the caller can have read the end of the response and looked at it.
   */
  private static Mono<String> lastFrame(Call call, String frame) {
    return Mono.fromCallable(() -> {
      call.finish();
      return frame;
    });
  }

  private Mono<Void> complete(HttpServerResponse response, Call call, OpenAiRequest request, Generate plan,
      Scheduler timer) {
    if (plan.ending() == Ending.STALL) {
      return call.aborted();
    }
    return Mono.delay(plan.duration(), timer)
        .takeUntilOther(call.aborted())
        .flatMap(tick -> {
          if (plan.ending() == Ending.MIDSTREAM_ERROR) {
            return sendError(response, call, OpenAiWire.error(Failure.SERVER_ERROR, request.model(), call.callId()));
          }
          if (plan.ending() == Ending.TRUNCATE) {
            return Mono.fromRunnable(() -> end(response, call, Ending.TRUNCATE));
          }
          Answer answer = new Answer(request.prompt().seed());
          for (int i = 0; i < plan.tokens(); i++) {
            call.sent(answer.token(i));
          }
          String usage = null;
          if (plan.reportsUsage()) {
            usage = OpenAiWire.usage(call.promptTokens(), plan.tokens());
            call.usageSent();
          }
          String body = OpenAiWire.completion(completionId(call), clock.instant().getEpochSecond(),
              OpenAiWire.reportedModel(request.model()), answer.text(plan.tokens()),
              OpenAiWire.finishReason(plan.ending()), usage);
          call.responded(200);
          return response.status(200)
              .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
              .header("x-request-id", requestId(call))
              .sendString(lastFrame(call, body))
              .then();
        });
  }

  private Mono<Void> sendError(HttpServerResponse response, Call call, ErrorResponse error) {
    call.responded(error.status());
    response.status(error.status())
        .header(HttpHeaderNames.CONTENT_TYPE, OpenAiWire.JSON_UTF8)
        .header("x-request-id", requestId(call));
    error.headers().forEach(response::header);
    return response.sendString(lastFrame(call, error.body())).then();
  }

  /**
   * After the last frame was flushed. {@code sim-truncated} closes the connection itself, so the caller sees
   * the body end without a finish chunk or {@code [DONE]}, as when a provider's connection breaks.
   */
  private static void end(HttpServerResponse response, Call call, Ending ending) {
    if (call.finish() && ending == Ending.TRUNCATE) {
      response.withConnection(connection -> connection.channel().close());
    }
  }

  private Call open(HttpServerResponse response, Call.Opening opening) {
    Call call = ledger.open(opening);
    response.withConnection(call::watch);
    return call;
  }

  private static @Nullable String bearerToken(@Nullable String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = authorization.substring(7).strip();
    return token.isEmpty() ? null : token;
  }

  private static String completionId(Call call) {
    return "chatcmpl-" + call.callId();
  }

  private static String requestId(Call call) {
    return "req_" + call.callId();
  }

  private static ByteBuf utf8(String frame) {
    return Unpooled.wrappedBuffer(frame.getBytes(StandardCharsets.UTF_8));
  }
}
