package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobStatus;
import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.UsageEvent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** Keeps what a job attempt publishes, in order; every send succeeds unless told otherwise. */
final class RecordingPublisher implements WorkerPublisher {

  final List<Object> records = new CopyOnWriteArrayList<>();
  volatile boolean failUsage;
  /** When set, replies stay unacknowledged (their futures pending) until {@link #acknowledgeReplies()}. */
  volatile boolean holdReplies;
  private final List<CompletableFuture<Void>> heldReplies = new CopyOnWriteArrayList<>();
  final AtomicReference<@Nullable ProviderCapabilities> capabilities = new AtomicReference<>();

  List<String> kinds() {
    return records.stream().map(record -> {
      if (record instanceof GenerationEvent event) {
        return "reply:" + event.getType();
      } else if (record instanceof JobStatus status) {
        return "status:" + status.getState();
      }
      return "usage:" + ((UsageEvent) record).getOutcome();
    }).toList();
  }

  List<GenerationEvent> replies() {
    return records.stream().filter(GenerationEvent.class::isInstance).map(GenerationEvent.class::cast).toList();
  }

  List<JobStatus> statuses() {
    return records.stream().filter(JobStatus.class::isInstance).map(JobStatus.class::cast).toList();
  }

  List<GenerationEvent> replies(String jobId) {
    return replies().stream().filter(event -> event.getJobId().equals(jobId)).toList();
  }

  List<UsageEvent> usages(String jobId) {
    return usages().stream().filter(usage -> usage.getJobId().equals(jobId)).toList();
  }

  /** The DONE or ERROR of the job: the last reply once the attempt ended. */
  GenerationEvent terminal(String jobId) {
    List<GenerationEvent> replies = replies(jobId);
    return replies.get(replies.size() - 1);
  }

  List<UsageEvent> usages() {
    return records.stream().filter(UsageEvent.class::isInstance).map(UsageEvent.class::cast).toList();
  }

  @Override
  public CompletableFuture<Void> reply(GenerationEvent event) {
    records.add(event);
    if (holdReplies) {
      CompletableFuture<Void> held = new CompletableFuture<>();
      heldReplies.add(held);
      return held;
    }
    return CompletableFuture.completedFuture(null);
  }

  /** The broker takes every reply held so far. */
  void acknowledgeReplies() {
    List<CompletableFuture<Void>> held = List.copyOf(heldReplies);
    heldReplies.removeAll(held);
    held.forEach(future -> future.complete(null));
  }

  @Override
  public CompletableFuture<Void> status(JobStatus status, JobKind kind) {
    records.add(status);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> usage(UsageEvent usage) {
    records.add(usage);
    return failUsage ? CompletableFuture.failedFuture(new IllegalStateException("broker down"))
        : CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> capabilities(String workerId, @Nullable ProviderCapabilities value) {
    capabilities.set(value);
    return CompletableFuture.completedFuture(null);
  }
}
