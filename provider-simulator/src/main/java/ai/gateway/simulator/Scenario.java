package ai.gateway.simulator;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** What a call asks the simulator to do, independent of any provider's wire format. */
sealed interface Scenario {

  /** Recorded in the ledger: {@code normal} or the reserved model name. */
  String name();

  /** Answer with {@code tokens} content tokens at {@code pacing}, then end as {@code ending} says. */
  record Generate(String name, int tokens, Pacing pacing, Ending ending, boolean reportsUsage) implements Scenario {

    /**
     * Caps the answer at the caller's {@code max_tokens}. A cut answer that would have finished normally
     * finishes with {@link Ending#LENGTH}, as a provider's does; failure endings stay what they are.
     */
    Generate cappedAt(@Nullable Integer maxTokens) {
      if (maxTokens == null || maxTokens >= tokens) {
        return this;
      }
      return new Generate(name, maxTokens, pacing, ending.isFinish() ? Ending.LENGTH : ending, reportsUsage);
    }

    /** When the last token goes out, counted from the start of the call: what a non-stream caller waits. */
    Duration duration() {
      return pacing.firstToken().plus(pacing.betweenTokens().multipliedBy(tokens - 1L));
    }
  }

  /** Reject the call with a provider error before any output. */
  record Fail(String name, Failure failure) implements Scenario {}

  /** Accept the request and never answer, not even with headers. */
  record Silent(String name) implements Scenario {}

  /** When the first token goes out, and the gap between tokens. */
  record Pacing(Duration firstToken, Duration betweenTokens) {

    /** The same gaps, starting now: for a caller that already waited for the first token. */
    Pacing withoutFirstTokenDelay() {
      return new Pacing(Duration.ZERO, betweenTokens);
    }
  }

  /** How a generated answer ends. */
  enum Ending {
    STOP, LENGTH, CONTENT_FILTER,
    /** A provider error object inside the 200 stream. */
    MIDSTREAM_ERROR,
    /** The connection closes without a finish reason. */
    TRUNCATE,
    /** Nothing more is sent until the caller hangs up. */
    STALL;

    boolean isFinish() {
      return this == STOP || this == LENGTH || this == CONTENT_FILTER;
    }
  }

  /** Provider errors, named by meaning; each handler renders them in its own wire format. */
  enum Failure {
    RATE_LIMITED, SERVER_ERROR, OVERLOADED, INVALID_API_KEY, INVALID_REQUEST, CONTEXT_LENGTH_EXCEEDED,
    INSUFFICIENT_QUOTA, MODEL_NOT_FOUND
  }
}
