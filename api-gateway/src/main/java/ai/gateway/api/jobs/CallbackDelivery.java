package ai.gateway.api.jobs;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.retrytopic.RetryTopicHeaders;
import tools.jackson.databind.json.JsonMapper;

/**
 * Makes one delivery attempt per record of {@code ai.callbacks} and its retry topics (key and value: the job id).
 * The attempt number is spring-kafka's retry header (absent: the first). The attempt is claimed in the jobs table
 * first ({@link PostgresJobs#claimCallbackAttempt}), so a redelivered or duplicated record sends nothing. A failed
 * attempt that may be retried throws {@link AttemptFailed}: the retry-topic machinery republishes the record to
 * the next delay topic, whose consumer pauses the partition until it is due (nothing sleeps on a poll thread).
 */
final class CallbackDelivery {

  private static final Logger log = LoggerFactory.getLogger(CallbackDelivery.class);

  private final PostgresJobs jobs;
  private final CallbackSender sender;
  private final WebhookSecrets secrets;
  private final @Nullable BatchCallbacks batches;
  private final JsonMapper json;
  private final Clock clock;
  private final Set<String> allowedHosts;
  private final int maxAttempts;
  private final Duration queryTimeout;
  private final Duration attemptTimeout;

  CallbackDelivery(PostgresJobs jobs, CallbackSender sender, WebhookSecrets secrets, @Nullable BatchCallbacks batches,
                   JsonMapper json, Clock clock, Set<String> allowedHosts, int maxAttempts, Duration queryTimeout,
                   Duration attemptTimeout) {
    this.jobs = jobs;
    this.batches = batches;
    this.sender = sender;
    this.secrets = secrets;
    this.json = json;
    this.clock = clock;
    this.allowedHosts = allowedHosts;
    this.maxAttempts = maxAttempts;
    this.queryTimeout = queryTimeout;
    this.attemptTimeout = attemptTimeout;
  }

  /** A failed attempt with attempts left; the message names the job and the status, never the URL. */
  static final class AttemptFailed extends RuntimeException {

    AttemptFailed(String message) {
      super(message, null, false, false);
    }
  }

  @KafkaListener(id = "callback-delivery", topics = "${topics.callbacks}", groupId = "${gateway.callbacks.group}",
      properties = {"auto.offset.reset=earliest"})
  public void deliver(ConsumerRecord<String, String> record) {
    if (record.value() != null && record.value().startsWith(BatchCallbacks.PREFIX)) {
      deliverBatch(record);
      return;
    }
    UUID id;
    try {
      id = UUID.fromString(record.value());
    } catch (IllegalArgumentException | NullPointerException e) {
      log.warn("callback record at {}-{}@{} names no job; skipped", record.topic(), record.partition(), record.offset());
      return;
    }
    int attempt = attempt(record);
    if (attempt < maxAttempts && Boolean.TRUE.equals(jobs.callbackTooEarly(id).block(queryTimeout))) {
      // the receiver's Retry-After is still ahead: this slot passes unused, the next one tries (the last one
      // always tries, so a long Retry-After still ends in an attempt)
      throw new AttemptFailed("callback of job " + id + ": attempt " + attempt + " is before the receiver's Retry-After");
    }
    Optional<PostgresJobs.JobRow> claimed = jobs.claimCallbackAttempt(id, attempt).block(queryTimeout);
    if (claimed == null || claimed.isEmpty()) {
      return; // settled, or this attempt was made already
    }
    PostgresJobs.JobRow row = claimed.get();
    CallbackSender.Outcome outcome = attempt(row);
    boolean givenUp = !outcome.delivered() && (outcome.gone() || attempt >= maxAttempts);
    jobs.recordCallbackAttempt(id, outcome.status(), outcome.delivered(), givenUp, outcome.retryAfter())
        .block(queryTimeout);
    if (outcome.delivered()) {
      log.debug("callback of job {} delivered at attempt {}", id, attempt);
    } else if (givenUp) {
      log.info("callback of job {} given up after attempt {} ({})", id, attempt, outcome.status());
    } else {
      throw new AttemptFailed("callback attempt " + attempt + " of job " + id + " failed: " + outcome.status());
    }
  }

  /** A batch's {@code batch.completed}: claimed and recorded in the batches' table, sent as a job's is. */
  private void deliverBatch(ConsumerRecord<String, String> record) {
    UUID id;
    try {
      id = UUID.fromString(record.value().substring(BatchCallbacks.PREFIX.length()));
    } catch (IllegalArgumentException e) {
      log.warn("callback record at {}-{}@{} names no batch; skipped", record.topic(), record.partition(), record.offset());
      return;
    }
    if (batches == null) {
      log.warn("callback of batch {} skipped: this gateway serves no batches", id);
      return;
    }
    int attempt = attempt(record);
    if (attempt < maxAttempts && Boolean.TRUE.equals(batches.tooEarly(id).block(queryTimeout))) {
      throw new AttemptFailed("callback of batch " + id + ": attempt " + attempt + " is before the receiver's Retry-After");
    }
    Optional<BatchCallbacks.Due> claimed = batches.claim(id, attempt).block(queryTimeout);
    if (claimed == null || claimed.isEmpty()) {
      return;
    }
    BatchCallbacks.Due due = claimed.get();
    CallbackSender.Outcome outcome;
    if (CallbackUrls.problem(due.url(), allowedHosts) != null) {
      outcome = new CallbackSender.Outcome(CallbackSender.BLOCKED, false, false);
    } else {
      String body = json.writeValueAsString(new JobBodies.Event(due.type(), due.at(), due.data()));
      outcome = send(due.url(), id.toString(), due.userId(), body);
    }
    boolean givenUp = !outcome.delivered() && (outcome.gone() || attempt >= maxAttempts);
    batches.record(id, outcome.status(), outcome.delivered(), givenUp, outcome.retryAfter()).block(queryTimeout);
    if (!outcome.delivered() && !givenUp) {
      throw new AttemptFailed("callback attempt " + attempt + " of batch " + id + " failed: " + outcome.status());
    }
  }

  private CallbackSender.Outcome send(String url, String webhookId, String userId, String body) {
    // the owner's keys, read at each attempt: a rotation applies to the next attempt
    List<byte[]> keys = secrets.signingKeys(userId).block(queryTimeout);
    CallbackSender.Outcome outcome = sender.send(url, webhookId, clock.instant().getEpochSecond(), body,
            new WebhookSigner(keys == null ? List.of() : keys))
        .block(attemptTimeout.plusSeconds(5));
    return outcome == null ? new CallbackSender.Outcome(CallbackSender.TIMEOUT, false, false) : outcome;
  }

  private CallbackSender.Outcome attempt(PostgresJobs.JobRow row) {
    String url = row.callbackUrl();
    // Checked again: the allowlist may have changed since submit, and a row predating a check must not bypass it.
    if (url == null || CallbackUrls.problem(url, allowedHosts) != null) {
      return new CallbackSender.Outcome(CallbackSender.BLOCKED, false, false);
    }
    JobBodies.Job job = JobBodies.job(row, json).withoutCallback();
    Instant at = row.finishedAt() == null ? row.createdAt() : row.finishedAt();
    String body = json.writeValueAsString(new JobBodies.Event("job." + job.status(), at, job));
    return send(url, row.id().toString(), row.userId(), body);
  }

  /** 1 on the main topic; the retry topics carry spring-kafka's attempts header (a big-endian integer). */
  static int attempt(ConsumerRecord<?, ?> record) {
    Header header = record.headers().lastHeader(RetryTopicHeaders.DEFAULT_HEADER_ATTEMPTS);
    if (header == null || header.value() == null || header.value().length == 0) {
      return 1;
    }
    return new BigInteger(header.value()).intValue();
  }
}
