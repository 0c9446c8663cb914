package ai.gateway.api.generate;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.ErrorReporter;
import ai.gateway.api.error.Problems;
import ai.gateway.schemas.v1.GenerationEvent;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.jspecify.annotations.Nullable;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.publisher.SynchronousSink;

/**
 * Renders a job's replies as Server-Sent Events. The HTTP status waits for the first reply: an error
 * before any chunk fails the response (a real 4xx/5xx with a problem body); otherwise the stream is 200
 * and carries {@code chunk} events, then exactly one {@code done} or {@code error}, with a
 * {@code : keep-alive} comment while it is quiet. Keep-alives start only after the first event, since
 * the first byte sent fixes the status at 200. (Not {@code switchOnFirst}: when the stream ends it
 * cancels its source with a {@code CancellationException} that would surface as a spurious error.)
 */
public final class StreamEvents {

  static final String CHUNK = "chunk";
  static final String DONE = "done";
  static final String ERROR = "error";
  private static final ServerSentEvent<Object> KEEP_ALIVE = ServerSentEvent.builder().comment(" keep-alive").build();

  private final Duration keepAlive;
  private final ErrorReporter reporter;

  StreamEvents(Duration keepAlive, ErrorReporter reporter) {
    this.keepAlive = keepAlive;
    this.reporter = reporter;
  }

  record ChunkData(String jobId, String content) {
  }

  record DoneData(String jobId, String provider, String model, @Nullable String finishReason, UsageBody usage,
                  BigDecimal costUsd) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ErrorData(String code, String message, boolean retryable, @Nullable String provider) {
  }

  Flux<ServerSentEvent<Object>> render(JobDispatcher.Run run, String requestId) {
    return Flux.defer(() -> {
      Renderer renderer = new Renderer(run.jobId(), requestId);
      ApiError noAnswer = ApiError.of(ErrorCode.UNAVAILABLE, "The job ended without an answer.");
      Flux<ServerSentEvent<Object>> events = run.replies()
          .<ServerSentEvent<Object>>handle(renderer::render)
          // Only when the replies ended without a terminal event. (The terminal event may still be queued in the
          // merge below, drained by another thread, when the replies complete: it must not be reported as missing.)
          .concatWith(Flux.defer(() -> renderer.terminalRendered() ? Flux.empty() : renderer.started()
              ? Flux.just(renderer.failure(noAnswer, null)) : Flux.error(noAnswer.exception())))
          // Before the first event a failure is the HTTP response; after it, the status is sent and it becomes an event.
          .onErrorResume(failure -> renderer.started()
              ? Flux.just(renderer.failure(Problems.classify(failure), failure)) : Flux.error(failure));
      Flux<ServerSentEvent<Object>> pings = renderer.firstEvent.asMono()
          .thenMany(Flux.interval(keepAlive, keepAlive).onBackpressureDrop()) // a client that does not read needs no pings
          .map(tick -> KEEP_ALIVE);
      return Flux.merge(events, pings).takeUntil(StreamEvents::isTerminal);
    });
  }

  /**
   * A job's events replayed from {@code ai.replies} ({@code GET /v1/jobs/{id}/events}), rendered as a live stream
   * is. A replay that ends without any event (the caller had already seen the job's end) is an empty stream.
   */
  public Flux<ServerSentEvent<Object>> renderReplay(String jobId, Flux<GenerationEvent> events, String requestId) {
    return Flux.defer(() -> {
      AtomicBoolean seen = new AtomicBoolean();
      AtomicBoolean endedEmpty = new AtomicBoolean();
      Flux<Reply> replies = events.<Reply>mapNotNull(Reply::from)
          .doOnNext(reply -> seen.set(true))
          .doOnComplete(() -> endedEmpty.set(!seen.get()));
      return render(new JobDispatcher.Run(jobId, replies), requestId)
          .onErrorResume(failure -> endedEmpty.get() ? Flux.empty() : Flux.error(failure));
    });
  }

  static boolean isTerminal(ServerSentEvent<?> event) {
    return DONE.equals(event.event()) || ERROR.equals(event.event());
  }

  /** {@code <attempt>.<seq>}: unique within a job, so a client can say where it stopped. */
  static String eventId(Reply reply) {
    return reply.attempt() + "." + reply.seq();
  }

  /** Per stream: which attempt the client is reading, and whether it has seen text of it. */
  private final class Renderer {

    private final String jobId;
    private final String requestId;
    private final Sinks.Empty<Void> firstEvent = Sinks.empty();
    private volatile boolean started;
    private volatile boolean terminalRendered;
    private int attempt = -1;
    private boolean textSent;

    Renderer(String jobId, String requestId) {
      this.jobId = jobId;
      this.requestId = requestId;
    }

    boolean started() {
      return started;
    }

    boolean terminalRendered() {
      return terminalRendered;
    }

    void render(Reply reply, SynchronousSink<ServerSentEvent<Object>> sink) {
      if (!started) {
        if (reply instanceof Reply.Failed failed) {
          sink.error(failed.error().exception()); // nothing sent yet: a real HTTP error
          return;
        }
        started = true;
        firstEvent.tryEmitEmpty();
      }
      if (!reply.local() && reply.attempt() != attempt) {
        if (textSent) {
          // Text of the replaced attempt is on the client's screen: splicing the new attempt's text after it would be wrong.
          sink.next(failure(ApiError.of(ErrorCode.UNAVAILABLE,
              "The job was restarted after a worker failure; retry the request."), null));
          return;
        }
        attempt = reply.attempt();
      }
      if (reply instanceof Reply.Chunk chunk) {
        textSent = true;
        sink.next(event(reply, CHUNK, new ChunkData(jobId, chunk.content())));
      } else if (reply instanceof Reply.Done done) {
        terminalRendered = true;
        sink.next(event(reply, DONE, new DoneData(jobId, done.provider(), done.model(), done.finishReason(),
            done.usage(), GenerateResponse.usd(done.costMicroUsd()))));
      } else if (reply instanceof Reply.Failed failed) {
        terminalRendered = true;
        reporter.report(failed.error(), null, requestId);
        sink.next(event(reply, ERROR, errorData(failed.error())));
      }
    }

    ServerSentEvent<Object> failure(ApiError error, @Nullable Throwable cause) {
      terminalRendered = true;
      reporter.report(error, cause, requestId);
      return ServerSentEvent.builder().event(ERROR).data(errorData(error)).build();
    }

    private ServerSentEvent<Object> event(Reply reply, String name, Object data) {
      ServerSentEvent.Builder<Object> builder = ServerSentEvent.builder().event(name).data(data);
      if (!reply.local()) {
        builder.id(eventId(reply));
      }
      return builder.build();
    }
  }

  private static ErrorData errorData(ApiError error) {
    return new ErrorData(error.code().name(), error.detail(), error.retryable(), error.provider());
  }
}
