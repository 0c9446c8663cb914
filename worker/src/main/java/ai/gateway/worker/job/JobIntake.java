package ai.gateway.worker.job;

import org.springframework.context.SmartLifecycle;

/**
 * Where jobs come from. One implementation today ({@link ConsumerGroupJobIntake}); the consumption strategy
 * is revisited in part 2 (share groups, leases), which should only add another implementation.
 */
interface JobIntake extends SmartLifecycle {

  /** Jobs handed to the runner and not yet finished. */
  int inFlight();
}
