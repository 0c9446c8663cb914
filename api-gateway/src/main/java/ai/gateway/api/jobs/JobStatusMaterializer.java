package ai.gateway.api.jobs;

import java.time.Duration;
import java.util.UUID;

import ai.gateway.api.generate.GenerateResponse;
import ai.gateway.api.kafka.JobKindHeader;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.JobKind;
import ai.gateway.schemas.v1.JobStatus;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.listener.MessageListener;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes {@code ai.job-status} into the jobs table. Runs on the listener container's thread (never an event
 * loop) and waits for each write, so an offset is committed only after its record is applied; a database
 * failure throws, and the container's error handler retries the record until it is written.
 *
 * <p>Applying is idempotent and forward-only ({@link JobPhase#advances}): a record applied twice, an old one
 * read after a newer one, and the same record applied by two instances change nothing the second time. Statuses
 * of sync, stream and batch jobs match no row and are skipped; those a worker labelled with their kind
 * ({@link ai.gateway.schemas.Topics#JOB_KIND_HEADER}) are skipped before decoding.
 */
final class JobStatusMaterializer implements MessageListener<String, byte[]> {

  private static final Logger log = LoggerFactory.getLogger(JobStatusMaterializer.class);

  private final PostgresJobs jobs;
  private final JsonMapper json;
  private final Duration writeTimeout;
  private final CallbackQueue callbacks;

  JobStatusMaterializer(PostgresJobs jobs, JsonMapper json, Duration writeTimeout, CallbackQueue callbacks) {
    this.jobs = jobs;
    this.json = json;
    this.writeTimeout = writeTimeout;
    this.callbacks = callbacks;
  }

  @Override
  public void onMessage(ConsumerRecord<String, byte[]> record) {
    if (!JobKindHeader.mayBe(record, JobKind.ASYNC)) {
      return;
    }
    JobStatus status;
    try {
      status = record.value() == null ? null : Topics.JOB_STATUS.valueSerde().deserializer().deserialize(record.topic(), record.value());
    } catch (SerializationException e) {
      log.warn("undecodable job status at {}-{}@{}; skipped", record.topic(), record.partition(), record.offset(), e);
      return;
    }
    PostgresJobs.@Nullable StatusUpdate update = status == null ? null : update(status);
    if (update == null) {
      return;
    }
    PostgresJobs.Applied applied = jobs.applyStatus(update).block(writeTimeout);
    if (applied != null && applied != PostgresJobs.Applied.NOTHING) {
      log.debug("job {} is {} (attempt {})", update.id(), update.phase().wire(), update.attempt());
    }
    if (applied == PostgresJobs.Applied.MOVED_CALLBACK_DUE) {
      enqueueCallback(update.id());
    }
  }

  /**
   * The UPDATE that applied the first terminal state also made the callback {@code pending} and said so; the
   * delivery record is published, then the row marked {@code enqueued}. A gateway that dies in between leaves the
   * row pending: {@link JobSweeper} publishes it (a second publish is harmless: attempts are claimed in the
   * table). So a status record costs no query beyond its own UPDATE, whatever kind of job it belongs to.
   */
  private void enqueueCallback(UUID id) {
    callbacks.enqueue(id.toString());
    jobs.markCallbackEnqueued(id).block(writeTimeout);
  }

  /** The update a status record makes, or {@code null} when it concerns no async job this gateway could hold. */
  PostgresJobs.@Nullable StatusUpdate update(JobStatus status) {
    JobPhase phase = JobPhase.from(status.getState());
    UUID id = parseId(status.getJobId());
    if (phase == null || id == null || status.getBatchId() != null) {
      return null;
    }
    String result = null;
    String error = null;
    if (phase == JobPhase.SUCCEEDED) {
      result = json.writeValueAsString(GenerateResponse.of(status));
    } else if (phase.terminal()) {
      error = json.writeValueAsString(JobBodies.Error.of(status.getError()));
    }
    return new PostgresJobs.StatusUpdate(id, status.getUserId(), phase, status.getAttempt(), status.getTimestamp(),
        result, error);
  }

  private static @Nullable UUID parseId(String jobId) {
    try {
      return UUID.fromString(jobId);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
