/**
 * Batches: {@code POST /v1/batches} (JSON or NDJSON, read as a stream), items stored in PostgreSQL and fed to
 * {@code ai.batch-jobs} at most K in flight per user, their states materialized from {@code ai.job-status},
 * {@code GET /v1/batches/{id}}, its results as NDJSON, and cancel.
 */
@NullMarked
package ai.gateway.api.batches;

import org.jspecify.annotations.NullMarked;
