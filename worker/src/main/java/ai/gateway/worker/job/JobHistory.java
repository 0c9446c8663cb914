package ai.gateway.worker.job;

import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What this worker knows of the attempts of recent jobs, from {@code ai.job-status} (read back from the
 * partitions it owns) and from its own runs, and what to do with a job record given that: run it (as which
 * attempt), skip it, or wait.
 *
 * <p>A record of {@code ai.jobs} can come back after it already ran: its offset was not yet committed when
 * its worker died or its partition moved, or its producer retried a send that had in fact succeeded. Then:
 * <ul>
 *   <li>the job reached a terminal state (any attempt): skip it: the first terminal event wins, and no second
 *       provider call, terminal event or usage event is made for it;</li>
 *   <li>an attempt runs here, or on a worker whose lease has not lapsed (a partition that moved while its
 *       jobs still ran on the previous owner): wait for its end, or for its lease to lapse;</li>
 *   <li>the last attempt's lease lapsed (its worker died): run it as the next attempt.</li>
 * </ul>
 * Used on the intake's poll thread only.
 */
final class JobHistory {

  /** What to do with one job record. */
  sealed interface Decision {
  }

  /** Run the job as this attempt (its {@code delivery}). */
  record Run(int attempt) implements Decision {
  }

  /** The job already ended: acknowledge the record without running it. */
  record Skip(int endedAttempt) implements Decision {
  }

  /** An attempt still runs (here or on a live worker): decide again when it ends or its lease lapses. */
  record Wait(@Nullable String workerId, @Nullable Instant leaseExpiresAt) implements Decision {
  }

  private static final class Entry {
    int attempt;
    boolean ended;
    int endedAttempt;
    @Nullable String workerId;
    @Nullable Instant leaseExpiresAt;
    /** An attempt of this job runs in this worker now. */
    boolean here;
    Instant touched;

    Entry(Instant now) {
      this.touched = now;
    }
  }

  private final String workerId;
  private final Duration leaseDuration;
  private final Map<String, Entry> entries = new HashMap<>();

  JobHistory(String workerId, Duration leaseDuration) {
    this.workerId = workerId;
    this.leaseDuration = leaseDuration;
  }

  /** A status record read from {@code ai.job-status}. States only move forward, whatever the reading order. */
  void observed(JobStatus status, Instant now) {
    JobState state = status.getState();
    if (state != JobState.RUNNING && !terminal(state)) {
      return; // QUEUED or a state this version does not know: says nothing about attempts
    }
    Entry entry = entries.computeIfAbsent(status.getJobId(), id -> new Entry(now));
    entry.touched = now;
    if (terminal(state)) {
      if (!entry.ended) {
        entry.ended = true;
        entry.endedAttempt = status.getAttempt();
      }
      entry.attempt = Math.max(entry.attempt, status.getAttempt());
      return;
    }
    if (status.getAttempt() < entry.attempt) {
      return; // an older attempt's heartbeat, read late
    }
    entry.attempt = status.getAttempt();
    if (entry.here && !workerId.equals(status.getWorkerId())) {
      entry.here = false; // another worker took a newer attempt over; ours is its own business now
    }
    entry.workerId = status.getWorkerId();
    // a RUNNING without a lease (an older worker) is presumed alive for one lease from its timestamp
    Instant lease = status.getLeaseExpiresAt() != null ? status.getLeaseExpiresAt()
        : status.getTimestamp().plus(leaseDuration);
    if (entry.leaseExpiresAt == null || lease.isAfter(entry.leaseExpiresAt)) {
      entry.leaseExpiresAt = lease;
    }
  }

  /** This worker starts the job as {@code attempt}. */
  void startedHere(String jobId, int attempt, Instant now) {
    Entry entry = entries.computeIfAbsent(jobId, id -> new Entry(now));
    entry.touched = now;
    entry.attempt = Math.max(entry.attempt, attempt);
    entry.here = true;
    entry.workerId = workerId;
    entry.leaseExpiresAt = now.plus(leaseDuration);
  }

  /**
   * This worker's attempt ended. {@code recorded}: its terminal records are on the broker, so the job is
   * done; otherwise they may be lost, and a waiting duplicate of the record runs it again as a new attempt.
   */
  void endedHere(String jobId, int attempt, boolean recorded, Instant now) {
    Entry entry = entries.computeIfAbsent(jobId, id -> new Entry(now));
    entry.touched = now;
    entry.here = false;
    if (recorded && !entry.ended) {
      entry.ended = true;
      entry.endedAttempt = attempt;
    } else if (!recorded) {
      entry.leaseExpiresAt = now;
    }
  }

  Decision decide(GenerationJob job, Instant now) {
    int delivered = Math.max(1, job.getDelivery());
    Entry entry = entries.get(job.getJobId());
    if (entry == null) {
      return new Run(delivered);
    }
    if (entry.ended) {
      return new Skip(entry.endedAttempt);
    }
    if (entry.here || (entry.leaseExpiresAt != null && entry.leaseExpiresAt.isAfter(now))) {
      return new Wait(entry.workerId, entry.leaseExpiresAt);
    }
    return new Run(Math.max(entry.attempt + 1, delivered));
  }

  /** Forgets jobs not heard of since {@code cutoff}, except those running here. */
  void forgetBefore(Instant cutoff) {
    entries.values().removeIf(entry -> !entry.here && entry.touched.isBefore(cutoff));
  }

  int size() {
    return entries.size();
  }

  private static boolean terminal(JobState state) {
    return state == JobState.SUCCEEDED || state == JobState.FAILED || state == JobState.CANCELLED;
  }
}
