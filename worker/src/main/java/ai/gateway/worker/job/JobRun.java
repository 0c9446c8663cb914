package ai.gateway.worker.job;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.Usage;
import ai.gateway.schemas.v1.UsageOutcome;
import ai.gateway.worker.job.JobRecords.Answer;
import ai.gateway.worker.job.JobRecords.ProviderCall;
import ai.gateway.worker.provider.Finished;
import ai.gateway.worker.provider.ProviderAdapter;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderRequest;
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
import ai.gateway.worker.resilience.CallListener;
import ai.gateway.worker.resilience.CallPlan;
import ai.gateway.worker.resilience.ProviderFailure;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One attempt of one job: RUNNING, then the provider's text as CHUNKs (see {@link #sendChunk}), then exactly one DONE or ERROR,
 * one usage event per provider call (retries and fallbacks included, see {@link CallListener}), and the
 * terminal status. Which provider, and whether a failed call is repeated, is {@code ProviderCalls}'s decision.
 *
 * <p>Three things can end an attempt and race: the provider stream (on an event loop), the deadline (on a
 * timer) and a CANCEL (on the control listener's thread). The loser's provider subscription is disposed,
 * which closes the HTTP stream. State changes and publishing happen under this object's lock, so once the
 * terminal event is issued no chunk can follow it, and records are handed to the publisher in order.
 *
 * <p>While it runs, the attempt renews its lease with a RUNNING status every heartbeat interval: a worker
 * that takes over the job's partition waits for a live lease to end instead of running the job twice, and
 * runs it again as a new attempt once the lease has lapsed (its worker died).
 */
final class JobRun implements CallListener {

  private static final Logger log = LoggerFactory.getLogger(JobRun.class);

  /** How an attempt ended: {@code error == null} is success. */
  private record Ending(@Nullable ErrorInfo error) {
    static final Ending SUCCESS = new Ending(null);
  }

  private final GenerationJob job;
  private final JobContext context;
  private final JobRecords records;
  private final Instant receivedAt;
  private final Sinks.One<Ending> cancelled = Sinks.one();
  private final CompletableFuture<Void> completion = new CompletableFuture<>();

  // guarded by this
  private int seq;
  private final StringBuilder content = new StringBuilder();
  /** Text received while this attempt's previous chunk was not yet on the broker: the next chunk's text. */
  private final StringBuilder unsentText = new StringBuilder();
  private boolean chunkInFlight;
  private @Nullable UsageReport reportedUsage;
  private @Nullable Finished finished;
  private @Nullable ProviderCall call;
  /** Whether the current call's request reached the network: a call that never did gets no usage event. */
  private boolean callSent;
  private @Nullable String lastProvider;
  private boolean ended;
  private @Nullable Disposable heartbeat;

  // a counter, not a list of futures: a 100,000-token answer must not hold 100,000 of them
  private final AtomicInteger unsent = new AtomicInteger();
  private volatile @Nullable Throwable sendFailure;
  private volatile boolean allIssued;

  JobRun(GenerationJob job, JobContext context) {
    this.job = job;
    this.context = context;
    this.records = new JobRecords(job, context.workerId());
    this.receivedAt = context.clock().instant();
  }

  String jobId() {
    return job.getJobId();
  }

  /** Completes when every record of the attempt is on the broker; fails if one could not be written. */
  CompletableFuture<Void> completion() {
    return completion;
  }

  /** Starts the attempt; returns at once. */
  void start() {
    synchronized (this) {
      publish(context.publisher().status(records.running(receivedAt, receivedAt.plus(context.leaseDuration())), job.getKind()));
      heartbeat = Flux.interval(context.heartbeatInterval()).subscribe(tick -> renewLease());
    }
    attempt()
        .onErrorResume(e -> {
          log.error("job {}: unexpected failure in the worker", jobId(), e);
          return Mono.just(new Ending(error(ErrorCode.UNAVAILABLE, "the worker failed while running the job", true,
              providerName(), null)));
        })
        .subscribe(this::end);
  }

  /**
   * A heartbeat: not part of {@link #completion()}, since a lost renewal only lets another worker take the job
   * over after the lease, which the first terminal event then settles.
   */
  private synchronized void renewLease() {
    if (ended) {
      return;
    }
    Instant now = context.clock().instant();
    context.publisher().status(records.running(now, now.plus(context.leaseDuration())), job.getKind());
  }

  /** A CANCEL for this job: ends it CANCELLED unless it already ended. Idempotent. */
  void cancel(@Nullable String reason) {
    String why = reason == null || reason.isBlank() ? "" : " (" + reason + ")";
    cancelled.tryEmitValue(new Ending(error(ErrorCode.CANCELLED, "the job was cancelled" + why, false,
        providerName(), null)));
  }

  private Mono<Ending> attempt() {
    Instant deadline = deadline();
    Duration remaining = Duration.between(context.clock().instant(), deadline);
    Mono<Ending> providerCalls = context.calls()
        .stream(new CallPlan(job.getProvider(), job.getModel(), deadline), this)
        .doOnNext(this::onEvent)
        .then(Mono.fromCallable(this::success));
    if (!remaining.isNegative() && !remaining.isZero()) {
      // the whole attempt, retries and their waits included, ends at the deadline
      providerCalls = providerCalls.timeout(remaining, Mono.fromSupplier(() -> new Ending(error(ErrorCode.TIMEOUT,
          "the job's deadline passed before the provider finished", true, providerName(), null))));
    }
    providerCalls = providerCalls.onErrorResume(e -> Mono.just(failure(e)));
    // the cancel signal first: a job cancelled before it started never reaches the provider
    return Mono.firstWithSignal(cancelled.asMono(), providerCalls);
  }

  /** A provider call is about to be made: its usage event's id is made now, before the call. */
  @Override
  public synchronized ProviderRequest starting(ProviderAdapter adapter, int providerAttempt) {
    ProviderRequest request = request(adapter);
    call = new ProviderCall(UUID.randomUUID().toString(), adapter.id().wireName(), request.model(), providerAttempt);
    callSent = false;
    lastProvider = adapter.id().wireName();
    return request;
  }

  @Override
  public synchronized void sent() {
    callSent = true;
  }

  @Override
  public synchronized boolean answerStarted() {
    return seq > 0 || !content.isEmpty(); // text held back (a sync job's) was received all the same
  }

  /** A call failed before any text went out and another follows: its usage event goes out now. */
  @Override
  public synchronized void retrying(ProviderAdapter adapter, int providerAttempt, ProviderException failure) {
    ProviderCall made = call;
    if (ended || made == null) {
      return; // the attempt already ended (cancel, deadline) and accounted for this call
    }
    if (!callSent) {
      // refused before the request went out (connection refused, pool full): the provider never saw it
      context.metrics().retried(made.provider(), failure.failureClass());
      call = null;
      return;
    }
    ErrorInfo error = error(failure.failureClass().code(), failure.getMessage(), failure.failureClass().retryable(),
        made.provider(), failure.retryAfter() == null ? null : failure.retryAfter().toMillis());
    Usage usage = usage(made);
    String reportedModel = finished == null ? null : finished.model();
    PriceTable.Cost cost = context.prices().cost(made.model(), reportedModel, usage.getPromptTokens(),
        usage.getCompletionTokens());
    publish(context.publisher().usage(records.usage(made, reportedModel, usage, cost, UsageOutcome.FAILED, error,
        context.clock().instant())));
    context.metrics().retried(made.provider(), failure.failureClass());
    call = null;
    reportedUsage = null;
    finished = null;
  }

  private ProviderRequest request(ProviderAdapter adapter) {
    String model = job.getModel() == null || job.getModel().isBlank() ? adapter.defaultModel() : job.getModel();
    // the gateway always fills both; other producers may leave them out
    int maxTokens = job.getMaxTokens() > 0 ? job.getMaxTokens() : adapter.defaultMaxTokens();
    double temperature = Double.isFinite(job.getTemperature()) && job.getTemperature() >= 0
        ? job.getTemperature() : adapter.defaultTemperature();
    return new ProviderRequest(model, job.getPrompt(), job.getSystemPrompt(), maxTokens, temperature, job.getJobId());
  }

  /** The job's deadline, brought forward by its per-attempt timeout if it has one. */
  private Instant deadline() {
    Instant deadline = job.getDeadlineAt();
    Long attemptTimeoutMs = job.getAttemptTimeoutMs();
    if (attemptTimeoutMs != null && attemptTimeoutMs > 0) {
      Instant attemptDeadline = receivedAt.plusMillis(attemptTimeoutMs);
      return attemptDeadline.isBefore(deadline) ? attemptDeadline : deadline;
    }
    return deadline;
  }

  private synchronized void onEvent(ProviderEvent event) {
    if (ended) {
      return;
    }
    if (event instanceof TextDelta delta) {
      content.append(delta.text());
      if (chunkInFlight || job.getKind() == JobKind.SYNC) {
        unsentText.append(delta.text());
      } else {
        sendChunk(delta.text());
      }
    } else if (event instanceof UsageReport usage) {
      reportedUsage = usage;
    } else if (event instanceof Finished finish) {
      finished = finish;
    }
  }

  /**
   * One CHUNK record. Until the broker has it, the attempt's further text is held and goes out as one CHUNK when
   * it does (or before the terminal event): a first delta leaves at once, and the records per answer shrink with
   * the broker's delay, so a loaded broker and gateway get fewer, larger chunks instead of a longer queue. With
   * an idle broker (acknowledged within a token's gap) every delta is its own chunk, as before. A sync job's
   * caller sees nothing before the end, so its text is held to the end: one CHUNK just before the DONE.
   */
  private void sendChunk(String text) {
    chunkInFlight = true;
    CompletableFuture<Void> sent = context.publisher().reply(records.chunk(++seq, text, context.clock().instant()));
    publish(sent);
    sent.whenComplete((ok, error) -> chunkSent());
  }

  private synchronized void chunkSent() {
    chunkInFlight = false;
    if (!ended && !unsentText.isEmpty()) {
      sendHeldText();
    }
  }

  private void sendHeldText() {
    String text = unsentText.toString();
    unsentText.setLength(0);
    sendChunk(text);
  }

  private synchronized Ending success() {
    if (finished == null) {
      // the adapter contract says a clean end always follows a Finished; never report a cut answer as done
      return new Ending(error(ErrorCode.PROVIDER_ERROR, "the provider's answer ended without a finish reason", true,
          providerName(), null));
    }
    return Ending.SUCCESS;
  }

  private Ending failure(Throwable error) {
    if (error instanceof ProviderFailure failure) {
      Long retryAfterMs = failure.retryAfter() == null ? null : failure.retryAfter().toMillis();
      log.warn("job {} attempt {}: {} from {}: {}", jobId(), job.getDelivery(),
          failure.failureClass() != null ? failure.failureClass() : failure.code(), failure.provider(),
          failure.getMessage());
      if (failure.getCause() != null && failure.getCause().getCause() != null) {
        log.debug("job {}: cause", jobId(), failure.getCause().getCause());
      }
      return new Ending(error(failure.code(), failure.getMessage(), failure.retryable(), failure.provider(),
          retryAfterMs));
    }
    log.error("job {}: unexpected failure of the provider call", jobId(), error);
    return new Ending(error(ErrorCode.PROVIDER_ERROR, "the provider call failed", true, providerName(), null));
  }

  /** Publishes the end of the attempt, once. */
  private void end(Ending ending) {
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      if (heartbeat != null) {
        heartbeat.dispose();
      }
      if (!unsentText.isEmpty()) {
        sendHeldText(); // what the provider sent is shown (and counted in the estimate) before the end
      }
      Instant now = context.clock().instant();
      if (ending.error() == null) {
        endSucceeded(now);
      } else {
        endFailed(ending.error(), now);
      }
    }
    allIssued = true;
    completeIfAllSent();
  }

  private void completeIfAllSent() {
    if (!allIssued || unsent.get() > 0) {
      return;
    }
    Throwable failure = sendFailure;
    if (failure == null) {
      completion.complete(null);
    } else {
      completion.completeExceptionally(failure);
    }
  }

  private void endSucceeded(Instant now) {
    Finished finish = Objects.requireNonNull(finished);
    ProviderCall made = Objects.requireNonNull(call);
    if (content.isEmpty() && finish.refusal() != null && !finish.refusal().isEmpty()) {
      // the model declined in OpenAI's separate refusal field: the refusal is its answer, not an empty one
      content.append(finish.refusal());
      publish(context.publisher().reply(records.chunk(++seq, finish.refusal(), now)));
    }
    String model = finish.model() != null ? finish.model() : made.model();
    Usage usage = usage(made);
    PriceTable.Cost cost = context.prices().cost(made.model(), finish.model(), usage.getPromptTokens(),
        usage.getCompletionTokens());
    Answer answer = new Answer(content.toString(), made.provider(), model, finish.finishReason(), usage, cost.microUsd());
    publish(context.publisher().reply(records.done(++seq, answer, now)));
    publish(context.publisher().usage(records.usage(made, finish.model(), usage, cost, UsageOutcome.SUCCEEDED, null, now)));
    publish(context.publisher().status(records.succeeded(answer, now), job.getKind()));
    context.metrics().ended(made.provider(), null);
  }

  private void endFailed(ErrorInfo error, Instant now) {
    switch (error.getCode()) {
      case CANCELLED -> log.debug("job {} attempt {}: {}", jobId(), job.getDelivery(), error.getMessage());
      case TIMEOUT -> log.info("job {} attempt {}: {}", jobId(), job.getDelivery(), error.getMessage());
      default -> {
        // provider failures were logged where they were classified
      }
    }
    // a call whose request never reached the network (cancelled or timed out while connecting) cost nothing
    ProviderCall made = callSent ? call : null;
    Usage usage = made == null ? null : usage(made);
    PriceTable.Cost cost = made == null ? null : context.prices().cost(made.model(),
        finished == null ? null : finished.model(), usage.getPromptTokens(), usage.getCompletionTokens());
    Long costMicroUsd = cost == null ? null : cost.microUsd();
    publish(context.publisher().reply(records.error(++seq, error, usage, costMicroUsd, now)));
    if (made != null) {
      publish(context.publisher().usage(records.usage(made, finished == null ? null : finished.model(), usage, cost,
          outcome(error.getCode()), error, now)));
    }
    publish(context.publisher().status(records.ended(error, usage, costMicroUsd, now), job.getKind()));
    context.reporting().report(jobId(), error);
    context.metrics().ended(error.getProvider(), error.getCode());
  }

  /**
   * Exact if the provider reported usage, else the design's estimate (prompt sent, text received). A
   * partial report (only the prompt's count, from a stream cut short) keeps its prompt count and estimates
   * the rest; the whole is then marked estimated.
   */
  private Usage usage(ProviderCall made) {
    UsageReport reported = reportedUsage;
    if (reported != null && !reported.partial()) {
      return new Usage(reported.promptTokens(), reported.completionTokens(), reported.totalTokens(), false);
    }
    long prompt = reported != null ? reported.promptTokens()
        : UsageEstimate.promptTokens(job.getPrompt(), job.getSystemPrompt());
    long completion = UsageEstimate.completionTokens(content);
    return new Usage(prompt, completion, prompt + completion, true);
  }

  private static UsageOutcome outcome(ErrorCode code) {
    return switch (code) {
      case CANCELLED -> UsageOutcome.CANCELLED;
      case TIMEOUT -> UsageOutcome.TIMED_OUT;
      default -> UsageOutcome.FAILED;
    };
  }

  /** The provider of the call in progress or the last one; before any call, the one the job named. */
  private synchronized @Nullable String providerName() {
    if (call != null) {
      return call.provider();
    }
    return lastProvider != null ? lastProvider : job.getProvider();
  }

  private void publish(CompletableFuture<Void> send) {
    unsent.incrementAndGet();
    send.whenComplete((ok, error) -> {
      if (error != null) {
        sendFailure = error;
      }
      if (unsent.decrementAndGet() == 0) {
        completeIfAllSent();
      }
    });
  }

  private static ErrorInfo error(ErrorCode code, String message, boolean retryable, @Nullable String provider,
      @Nullable Long retryAfterMs) {
    return ErrorInfo.newBuilder()
        .setCode(code)
        .setMessage(message)
        .setRetryable(retryable)
        .setProvider(provider)
        .setRetryAfterMs(retryAfterMs)
        .build();
  }
}
