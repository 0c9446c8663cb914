package ai.gateway.api.generate;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import ai.gateway.api.kafka.EventPosition;
import ai.gateway.api.kafka.JobPublisher;
import ai.gateway.api.kafka.ReplyStream;
import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.Usage;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** Small factories and in-memory stand-ins for the Kafka ports (pure-logic tests only; the ITs use Kafka). */
final class Fixtures {

  private Fixtures() {
  }

  static GenerationEvent chunk(String jobId, int attempt, int seq, String content) {
    return event(jobId, attempt, seq, GenerationEventType.CHUNK).setContent(content).build();
  }

  static GenerationEvent done(String jobId, int attempt, int seq) {
    return event(jobId, attempt, seq, GenerationEventType.DONE)
        .setProvider("openai").setModel("gpt-test").setFinishReason("stop")
        .setUsage(Usage.newBuilder().setPromptTokens(3).setCompletionTokens(2).setTotalTokens(5).setEstimated(false).build())
        .setCostMicroUsd(100L)
        .build();
  }

  static GenerationEvent error(String jobId, int attempt, int seq, ErrorCode code, boolean retryable) {
    return event(jobId, attempt, seq, GenerationEventType.ERROR)
        .setError(ErrorInfo.newBuilder().setCode(code).setMessage("The provider failed.").setRetryable(retryable)
            .setProvider("openai").build())
        .build();
  }

  private static GenerationEvent.Builder event(String jobId, int attempt, int seq, GenerationEventType type) {
    return GenerationEvent.newBuilder().setJobId(jobId).setAttempt(attempt).setSeq(seq).setType(type)
        .setTimestamp(Instant.parse("2026-11-28T12:00:00Z"));
  }

  static Reply reply(GenerationEvent event) {
    Reply reply = Reply.from(event);
    if (reply == null) {
      throw new IllegalArgumentException("no reply for " + event.getType());
    }
    return reply;
  }

  /** Publisher that records what it was given and can be told to fail. */
  static final class RecordingPublisher implements JobPublisher {

    final List<GenerationJob> jobs = new CopyOnWriteArrayList<>();
    final List<JobControl> controls = new CopyOnWriteArrayList<>();
    final List<Boolean> listeningAtPublish = new CopyOnWriteArrayList<>();
    private final @Nullable InMemoryReplies replies;
    private @Nullable RuntimeException failure;

    RecordingPublisher(@Nullable InMemoryReplies replies) {
      this.replies = replies;
    }

    void failWith(RuntimeException e) {
      this.failure = e;
    }

    @Override
    public Mono<Void> publish(GenerationJob job) {
      return Mono.defer(() -> {
        if (replies != null) {
          listeningAtPublish.add(replies.isListening(job.getJobId()));
        }
        if (failure != null) {
          return Mono.error(failure);
        }
        jobs.add(job);
        return Mono.empty();
      });
    }

    @Override
    public Mono<Void> control(JobControl control) {
      return Mono.fromRunnable(() -> controls.add(control));
    }
  }

  /** Reply stream whose events the test pushes. */
  static final class InMemoryReplies implements ReplyStream {

    private final Map<String, Sinks.Many<GenerationEvent>> sinks = new ConcurrentHashMap<>();
    boolean ready = true;

    @Override
    public Flux<GenerationEvent> events(String jobId) {
      return Flux.defer(() -> {
        Sinks.Many<GenerationEvent> sink = Sinks.many().unicast().onBackpressureBuffer();
        sinks.put(jobId, sink);
        return sink.asFlux().doFinally(s -> sinks.remove(jobId, sink));
      });
    }

    @Override
    public boolean ready() {
      return ready;
    }

    /** As if this instance read one partition of four. */
    @Override
    public boolean routesHere(String jobId) {
      return ready && Math.floorMod(jobId.hashCode(), 4) == 0;
    }

    @Override
    public Flux<GenerationEvent> replay(String jobId, Instant createdAt, @Nullable EventPosition after) {
      return Flux.error(new UnsupportedOperationException("not replayed in memory"));
    }

    boolean isListening(String jobId) {
      return sinks.containsKey(jobId);
    }

    void emit(GenerationEvent event) {
      Sinks.Many<GenerationEvent> sink = sinks.get(event.getJobId());
      if (sink == null) {
        throw new IllegalStateException("nobody listens to " + event.getJobId());
      }
      sink.tryEmitNext(event).orThrow();
    }

    String onlyJobId() {
      if (sinks.size() != 1) {
        throw new IllegalStateException("listeners: " + sinks.keySet());
      }
      return sinks.keySet().iterator().next();
    }
  }
}
