package ai.gateway.api.usage;

import reactor.core.publisher.Mono;

/**
 * A user's tokens of the current UTC day, over every provider and model (the spec's
 * {@code getUserDailyTokens}): the port a per-plan daily token budget checks before admitting work.
 *
 * <p><b>Staleness.</b> The value trails the provider calls by the sum of:
 * <ul>
 *   <li>the worker publishing the usage event after the call ends (the day is the call's completion time);</li>
 *   <li>the usage aggregator's commit interval ({@code usage.commit-interval}, 100 ms by default): its totals
 *       become visible on {@code ai.usage.totals} only when its Streams transaction commits;</li>
 *   <li>the aggregator's writer lag: its poll ({@code usage.sink.poll-timeout}, 500 ms) and one database
 *       transaction in normal operation, but unbounded while PostgreSQL is unreachable or the writer is down
 *       (it catches up without loss afterwards);</li>
 *   <li>this port's cache, {@code gateway.usage.daily-tokens-cache-ttl} (5 s by default).</li>
 * </ul>
 * So a budget check may admit calls for a second or a few (more during an aggregator outage) after the
 * budget is spent; calls in flight are not counted until they end. A budget built on it is soft by that much.
 *
 * <p>Errors with an {@code ApiException} 503 {@code UNAVAILABLE} when the database fails or is slow; whether
 * a budget check then fails open or closed is the caller's decision.
 */
public interface DailyTokens {

  Mono<Long> today(String userId);
}
