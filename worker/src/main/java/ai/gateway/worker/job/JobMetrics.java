package ai.gateway.worker.job;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.worker.provider.FailureClass;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/** Job outcomes by provider and code: low-cardinality tags only (never a model name, user or job id). */
@Component
final class JobMetrics {

  private final MeterRegistry registry;

  JobMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  MeterRegistry registry() {
    return registry;
  }

  void ended(@Nullable String provider, @Nullable ErrorCode code) {
    Counter.builder("worker.jobs.ended")
        .description("job attempts ended, by provider and error code (none: succeeded)")
        .tag("provider", provider == null ? "none" : provider)
        .tag("code", code == null ? "none" : code.name())
        .register(registry)
        .increment();
  }

  /**
   * A job record that had been taken before (a crash, a rebalance, a producer's retry), by what the intake
   * did: {@code finished-before} and {@code ended-before} skipped, {@code waiting} for a live attempt,
   * {@code new-attempt} run again.
   */
  void redelivered(String outcome) {
    Counter.builder("worker.jobs.redelivered")
        .description("job records taken again, by what the intake did with them")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** A provider call failed before any text went out and another call follows. */
  void retried(String provider, FailureClass failure) {
    Counter.builder("worker.provider.calls.retried")
        .description("provider calls that failed and were followed by another call, by provider and failure class")
        .tag("provider", provider)
        .tag("failure", failure.name())
        .register(registry)
        .increment();
  }
}
