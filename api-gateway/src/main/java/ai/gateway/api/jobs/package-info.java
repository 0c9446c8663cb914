/**
 * Async jobs: {@code POST /v1/jobs} with idempotency keys, the jobs table materialized from
 * {@code ai.job-status}, {@code GET /v1/jobs[/{id}]}, cancel, and resumable {@code /v1/jobs/{id}/events}.
 */
@NullMarked
package ai.gateway.api.jobs;

import org.jspecify.annotations.NullMarked;
