/**
 * Provider choice, retries with backoff, fallback to the next provider, and one circuit breaker per
 * provider (resilience4j). Decides from failure classes only, never from message text.
 */
@NullMarked
package ai.gateway.worker.resilience;

import org.jspecify.annotations.NullMarked;
