package ai.gateway.worker.job;

import org.springframework.context.SmartLifecycle;

/**
 * Where jobs come from: {@link ConsumerGroupJobIntake}. Share groups, Confluent's parallel-consumer and
 * acknowledge-on-receipt leases were measured against it (worker/docs-intake.md); another strategy would be
 * another implementation.
 */
interface JobIntake extends SmartLifecycle {

  /** Jobs handed to the runner and not yet finished. */
  int inFlight();
}
