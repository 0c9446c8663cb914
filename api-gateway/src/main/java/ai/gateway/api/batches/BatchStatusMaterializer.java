package ai.gateway.api.batches;

import java.time.Duration;
import java.util.UUID;

import ai.gateway.api.batches.PostgresBatches.ItemStatus;
import ai.gateway.api.batches.PostgresBatches.ItemUpdate;
import ai.gateway.api.generate.GenerateResponse;
import ai.gateway.api.jobs.JobBodies;
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
 * Writes the {@code ai.job-status} records of batch items ({@code batchId} set) into {@code batch_items}, forward
 * only, and completes a batch when its last item ends. Its own consumer group shared by every gateway instance
 * ({@code gateway.batches.status-group}), apart from the jobs' one, so neither waits on the other's writes. Runs on
 * the listener container's thread and waits for each write; a failed write throws and is retried by the
 * container, so an item's end is never skipped.
 */
final class BatchStatusMaterializer implements MessageListener<String, byte[]> {

  private static final Logger log = LoggerFactory.getLogger(BatchStatusMaterializer.class);

  private final PostgresBatches batches;
  private final BatchFeeder feeder;
  private final JsonMapper json;
  private final Duration writeTimeout;

  BatchStatusMaterializer(PostgresBatches batches, BatchFeeder feeder, JsonMapper json, Duration writeTimeout) {
    this.batches = batches;
    this.feeder = feeder;
    this.json = json;
    this.writeTimeout = writeTimeout;
  }

  @Override
  public void onMessage(ConsumerRecord<String, byte[]> record) {
    if (!JobKindHeader.mayBe(record, JobKind.BATCH)) {
      return;
    }
    JobStatus status;
    try {
      status = record.value() == null ? null : Topics.JOB_STATUS.valueSerde().deserializer().deserialize(record.topic(), record.value());
    } catch (SerializationException e) {
      log.warn("undecodable job status at {}-{}@{}; skipped", record.topic(), record.partition(), record.offset(), e);
      return;
    }
    ItemUpdate update = status == null ? null : update(status);
    if (update == null) {
      return;
    }
    Boolean applied = batches.applyStatus(update).block(writeTimeout);
    if (Boolean.TRUE.equals(applied) && update.status().terminal()) {
      batches.completeBatchOf(update.jobId()).block(writeTimeout);
      feeder.wake();
    }
  }

  /** The update a status record makes, or {@code null} when it is not a batch item's. */
  @Nullable ItemUpdate update(JobStatus status) {
    if (status.getBatchId() == null) {
      return null;
    }
    ItemStatus itemStatus = switch (status.getState()) {
      case RUNNING -> ItemStatus.RUNNING;
      case SUCCEEDED -> ItemStatus.SUCCEEDED;
      case FAILED -> ItemStatus.FAILED;
      case CANCELLED -> ItemStatus.CANCELLED;
      default -> null;
    };
    UUID id;
    try {
      id = UUID.fromString(status.getJobId());
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (itemStatus == null) {
      return null;
    }
    String result = itemStatus == ItemStatus.SUCCEEDED ? json.writeValueAsString(GenerateResponse.of(status)) : null;
    String error = itemStatus == ItemStatus.FAILED || itemStatus == ItemStatus.CANCELLED
        ? json.writeValueAsString(JobBodies.Error.of(status.getError())) : null;
    return new ItemUpdate(id, status.getUserId(), itemStatus, status.getAttempt(), status.getTimestamp(), result, error);
  }
}
