package ai.gateway.api.kafka;

/**
 * Which partition of {@code ai.replies} this instance reads. Claimed once at start, kept (renewed) while the
 * instance runs, given up when it stops gracefully.
 */
interface PartitionClaims {

  /**
   * Claims a partition of a topic of {@code partitionCount} partitions: one no other live instance holds
   * (the lowest), or, when every one is held, the one with the fewest holders (shared). Blocking: call it on
   * the reply consumer's thread, never on an event loop. Fails when the store cannot be reached.
   */
  int claim(int partitionCount);

  /** Gives the claim up; replies keep flowing to a partition nobody reads until its jobs are gone. */
  void release();
}
