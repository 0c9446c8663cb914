package ai.gateway.simulator;

import ai.gateway.simulator.Scenario.Pacing;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/** Token indices on the clock: timers, never a sleeping thread, so thousands of streams cost little. */
final class Timeline {

  private Timeline() {}

  /**
   * Emits {@code 0 .. tokens-1}, the first after {@code pacing.firstToken()}, then one per
   * {@code pacing.betweenTokens()}. The buffer keeps the ticks of a slow reader instead of failing the
   * interval with an overflow; it holds at most {@code tokens} longs.
   */
  static Flux<Integer> tokens(Pacing pacing, int tokens, Scheduler timer) {
    return Flux.interval(pacing.firstToken(), pacing.betweenTokens(), timer)
        .onBackpressureBuffer()
        .take(tokens)
        .map(Long::intValue);
  }
}
