package ai.gateway.api.jobs;

import java.util.Locale;

import ai.gateway.schemas.v1.JobState;
import org.jspecify.annotations.Nullable;

/** A job's state as the API shows it ({@code status}); only moves forward. */
enum JobPhase {
  QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

  boolean terminal() {
    return ordinal() >= SUCCEEDED.ordinal();
  }

  String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  static JobPhase fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }

  /** {@code null} for a state this gateway does not apply ({@code UNKNOWN}: a newer worker's; {@code QUEUED}: no news). */
  static @Nullable JobPhase from(JobState state) {
    return switch (state) {
      case RUNNING -> RUNNING;
      case SUCCEEDED -> SUCCEEDED;
      case FAILED -> FAILED;
      case CANCELLED -> CANCELLED;
      case QUEUED, UNKNOWN -> null;
    };
  }

  /**
   * Whether a status record moves a job in {@code current} (at {@code currentAttempt}) forward: a terminal
   * state is final (the first terminal record wins, whatever its attempt); a terminal record ends a job that
   * has not ended; {@code RUNNING} moves a queued job, or a running one to a later attempt (a redelivery after
   * a worker died). A stale or older-attempt {@code RUNNING} and a replayed record change nothing.
   * {@link PostgresJobs#applyStatus} states the same rule in its {@code where} clause.
   */
  static boolean advances(JobPhase current, int currentAttempt, JobPhase next, int nextAttempt) {
    if (current.terminal()) {
      return false;
    }
    if (next.terminal()) {
      return true;
    }
    return next == RUNNING && (current == QUEUED || nextAttempt > currentAttempt);
  }
}
