package ai.gateway.usage.sink;

/** Where the sink writes; a write is all-or-nothing and idempotent, so it can be repeated after a failure. */
interface UsageWriter {

  /** Writes the batch in one transaction; throws if nothing was written. */
  void write(SinkBatch batch);
}
