/**
 * Jobs: intake from {@code ai.jobs}, running one attempt against a provider, cancellation from
 * {@code ai.job-control}, and what the worker publishes (replies, status, usage, capabilities).
 */
@NullMarked
package ai.gateway.worker.job;

import org.jspecify.annotations.NullMarked;
