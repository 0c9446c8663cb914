package ai.gateway.worker.job;

import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.ProviderInfo;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.config.WorkerProperties;
import ai.gateway.worker.provider.ProviderRegistry;
import ai.gateway.worker.resilience.ProviderCircuits;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Announces what this worker can serve on the compacted {@code ai.providers}: the configured providers with
 * their default models, allowlists and whether their circuit is open, in fallback order, never a key.
 * Republished every third of the ttl so readers can drop a worker that died without a word, and at once
 * when a circuit changes state; a graceful stop writes the tombstone.
 */
@Component
final class CapabilitiesPublisher implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(CapabilitiesPublisher.class);

  private final WorkerPublisher publisher;
  private final ProviderRegistry providers;
  private final ProviderCircuits circuits;
  private final String workerId;
  private final long ttlMs;
  private final Clock clock;
  private volatile @Nullable ScheduledExecutorService schedule;
  private boolean listening;

  CapabilitiesPublisher(WorkerPublisher publisher, ProviderRegistry providers, ProviderCircuits circuits,
      WorkerIdentity identity, WorkerProperties worker, Clock clock) {
    this.publisher = publisher;
    this.providers = providers;
    this.circuits = circuits;
    this.workerId = identity.id();
    this.ttlMs = worker.capabilitiesTtl().toMillis();
    this.clock = clock;
  }

  ProviderCapabilities capabilities() {
    List<ProviderInfo> infos = providers.inFallbackOrder().stream()
        .map(adapter -> ProviderInfo.newBuilder()
            .setName(adapter.id().wireName())
            .setDefaultModel(adapter.defaultModel())
            .setAllowedModels(adapter.allowedModels())
            .setCircuitOpen(circuits.isOpen(adapter.id()))
            .build())
        .toList();
    return ProviderCapabilities.newBuilder()
        .setWorkerId(workerId)
        .setProviders(infos)
        .setUpdatedAt(clock.instant())
        .setTtlMs(ttlMs)
        .build();
  }

  @Override
  public synchronized void start() {
    if (schedule != null) {
      return;
    }
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "capabilities");
      thread.setDaemon(true);
      return thread;
    });
    executor.scheduleAtFixedRate(this::announce, 0, Math.max(1, ttlMs / 3), TimeUnit.MILLISECONDS);
    schedule = executor;
    if (!listening) {
      listening = true;
      // readers route around an open circuit: tell them now, not at the next round; off the caller's thread,
      // which may be an event loop
      circuits.onStateChange(this::announceSoon);
    }
    log.info("worker {} serves {}", workerId, providers.inFallbackOrder().stream().map(a -> a.id().wireName()).toList());
  }

  @Override
  public synchronized void stop() {
    if (schedule == null) {
      return;
    }
    schedule.shutdownNow();
    schedule = null;
    try {
      publisher.capabilities(workerId, null).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("could not write the ai.providers tombstone of {}: {}", workerId, e.toString());
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return schedule != null;
  }

  /** Stops first: the worker stops announcing itself before it drains its jobs. */
  @Override
  public int getPhase() {
    return DEFAULT_PHASE - 100;
  }

  /** Not synchronized: it may run on an event loop, and stop() holds the lock while it waits. */
  private void announceSoon() {
    ScheduledExecutorService executor = schedule;
    if (executor != null) {
      try {
        executor.execute(this::announce);
      } catch (java.util.concurrent.RejectedExecutionException stopping) {
        // stopping: the tombstone follows
      }
    }
  }

  private void announce() {
    try {
      publisher.capabilities(workerId, capabilities());
    } catch (RuntimeException e) {
      log.warn("could not announce capabilities: {}", e.toString());
    }
  }
}
