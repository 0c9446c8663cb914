/** Per-user limits on creating work: the {@link ai.gateway.api.ratelimit.RateLimiter} port, its sliding-log algorithm and its stores. */
@NullMarked
package ai.gateway.api.ratelimit;

import org.jspecify.annotations.NullMarked;
