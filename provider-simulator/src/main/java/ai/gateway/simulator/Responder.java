package ai.gateway.simulator;

import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Generate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.channel.AbortedException;
import reactor.netty.http.server.HttpServerResponse;

/**
 * What every wire format shares: opening the ledger call, sending whole responses, and playing a generated
 * answer on the clock, streamed or not, with abort detection. Handlers only parse requests and render
 * frames ({@link AnswerWire}), so pacing, endings and the ledger behave the same for every provider.
 */
final class Responder {

  private final Ledger ledger;
  private final EventLoopTimers timers = new EventLoopTimers();

  Responder(Ledger ledger) {
    this.ledger = ledger;
  }

  /** Records the call and watches its connection, so a caller hanging up aborts it. */
  Call open(HttpServerResponse response, Call.Opening opening) {
    Call call = ledger.open(opening);
    response.withConnection(call::watch);
    return call;
  }

  /** Sends a whole response (an error or a non-stream answer); the call finishes as it goes out. */
  Mono<Void> send(HttpServerResponse response, Call call, WireResponse reply) {
    call.responded(reply.status());
    response.status(reply.status()).header(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
    reply.headers().forEach(response::header);
    return response.sendString(lastFrame(call, reply.body())).then();
  }

  /** Plays a generated answer: a paced stream, or one body after the whole answer's time. */
  Mono<Void> answer(HttpServerResponse response, Call call, Generate plan, long seed, boolean stream,
      AnswerWire wire) {
    Scheduler timer = timers.of(response);
    Mono<Void> answer = stream
        ? stream(response, call, plan, seed, wire, timer)
        : complete(response, call, plan, seed, wire, timer);
    // A write that fails because the connection broke is the caller going away, not a simulator fault.
    return answer.onErrorResume(e -> e instanceof AbortedException || e instanceof IOException, e -> {
      call.abort();
      return Mono.empty();
    });
  }

  private Mono<Void> stream(HttpServerResponse response, Call call, Generate plan, long seed, AnswerWire wire,
      Scheduler timer) {
    Answer answer = new Answer(seed);
    Flux<String> tokens = Timeline.tokens(plan.pacing().withoutFirstTokenDelay(), plan.tokens(), timer)
        .concatMapIterable(i -> {
          String token = answer.token(i);
          call.responded(200);
          call.sent(token);
          return wire.token(i, token);
        });
    Flux<String> ending = switch (plan.ending()) {
      case STALL -> Flux.never();
      case TRUNCATE -> Flux.empty();
      default -> Flux.defer(wire::ending);
    };
    Flux<ByteBuf> frames = tokens.concatWith(ending)
        .map(Responder::utf8)
        .takeUntilOther(call.aborted())
        .doOnCancel(call::abort);
    // Headers go out with the first token, as a provider's do: until then the caller sees nothing.
    return Mono.delay(plan.pacing().firstToken(), timer)
        .takeUntilOther(call.aborted())
        .flatMap(tick -> {
          response.status(200);
          wire.streamHeaders().forEach(response::header);
          // flush every event on its own: a token must reach the caller when it is produced
          return response.send(frames, frame -> true)
              .then()
              .then(Mono.fromRunnable(() -> end(response, call, plan.ending())));
        });
  }

  private Mono<Void> complete(HttpServerResponse response, Call call, Generate plan, long seed, AnswerWire wire,
      Scheduler timer) {
    if (plan.ending() == Ending.STALL) {
      return call.aborted();
    }
    return Mono.delay(plan.duration(), timer)
        .takeUntilOther(call.aborted())
        .flatMap(tick -> {
          if (plan.ending() == Ending.MIDSTREAM_ERROR) {
            return send(response, call, wire.midstreamError());
          }
          if (plan.ending() == Ending.TRUNCATE) {
            return Mono.fromRunnable(() -> end(response, call, Ending.TRUNCATE));
          }
          Answer answer = new Answer(seed);
          for (int i = 0; i < plan.tokens(); i++) {
            call.sent(answer.token(i));
          }
          return send(response, call, wire.body(answer.text(plan.tokens())));
        });
  }

  /**
   * The call counts as finished when its last frame is handed to Netty, so the ledger is complete before
   * the caller can have read the end of the response and looked at it.
   */
  static Mono<String> lastFrame(Call call, String frame) {
    return Mono.fromCallable(() -> {
      call.finish();
      return frame;
    });
  }

  /**
   * After the last frame was flushed. {@code sim-truncated} closes the connection itself, so the caller sees
   * the body end without its proper ending, as when a provider's connection breaks.
   */
  private static void end(HttpServerResponse response, Call call, Ending ending) {
    if (call.finish() && ending == Ending.TRUNCATE) {
      response.withConnection(connection -> connection.channel().close());
    }
  }

  private static ByteBuf utf8(String frame) {
    return Unpooled.wrappedBuffer(frame.getBytes(StandardCharsets.UTF_8));
  }
}
