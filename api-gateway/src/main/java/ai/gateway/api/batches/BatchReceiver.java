package ai.gateway.api.batches;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

import ai.gateway.api.batches.BatchReader.Item;
import ai.gateway.api.batches.BatchReader.Parsed;
import ai.gateway.api.batches.PostgresBatches.NewItem;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobKind;
import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Reads a batch body into PostgreSQL as it arrives: the batch row first ({@code receiving}: never shown, never
 * fed), then the items in chunks, each item a {@code GenerationJob} of kind {@code BATCH} with its own job id,
 * stored as it will be published. A body that turns out invalid deletes the rows again; nothing was published.
 * The body is read on a bounded-elastic thread through an {@code InputStream} over the request's buffers, so no
 * more than one chunk of items and one request's bytes are held in memory; at most
 * {@code gateway.batches.max-concurrent-uploads} bodies are read at once per instance.
 */
final class BatchReceiver {

  static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");
  private static final MediaType JSONL = MediaType.parseMediaType("application/jsonl");
  private static final Duration BUSY_RETRY = Duration.ofSeconds(2);

  /** A batch read whole and stored, not yet admitted. */
  record Received(UUID batchId, int total, @Nullable String callbackUrl) {
  }

  private final TimeBasedEpochGenerator ids = Generators.timeBasedEpochGenerator();
  private final BatchReader reader;
  private final PostgresBatches batches;
  private final Clock clock;
  private final Semaphore uploads;
  private final int chunk;
  private final Duration attemptTimeout;
  private final Duration lifetime;
  private final Duration writeTimeout;

  BatchReceiver(BatchReader reader, PostgresBatches batches, Clock clock, int maxConcurrentUploads, int chunk,
                Duration attemptTimeout, Duration lifetime, Duration writeTimeout) {
    this.reader = reader;
    this.batches = batches;
    this.clock = clock;
    this.uploads = new Semaphore(maxConcurrentUploads);
    this.chunk = chunk;
    this.attemptTimeout = attemptTimeout;
    this.lifetime = lifetime;
    this.writeTimeout = writeTimeout;
  }

  /**
   * Reads and stores the body; {@code stored} learns the batch id as soon as its row exists, so the caller can
   * discard it if anything later (the rate limit) refuses the batch.
   */
  Mono<Received> receive(String userId, String requestId, ServerHttpRequest request, Consumer<UUID> stored) {
    boolean ndjson = ndjson(request.getHeaders().getContentType());
    if (!uploads.tryAcquire()) {
      return Mono.error(ApiError.of(ErrorCode.UNAVAILABLE, "Too many batches are being uploaded; try again shortly.")
          .withRetryAfter(BUSY_RETRY).exception());
    }
    UUID batchId = ids.generate();
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    return batches.insertReceiving(batchId, userId, now)
        .doOnSuccess(ignored -> stored.accept(batchId))
        .then(Mono.fromCallable(() -> read(batchId, userId, requestId, now, request, ndjson))
            .subscribeOn(Schedulers.boundedElastic()))
        .onErrorResume(failure -> batches.discard(batchId).onErrorResume(cleanup -> Mono.empty()).then(Mono.error(failure)))
        .doFinally(signal -> uploads.release());
  }

  private Received read(UUID batchId, String userId, String requestId, Instant now, ServerHttpRequest request,
                        boolean ndjson) {
    List<NewItem> pending = new ArrayList<>(chunk);
    BatchReader.ItemSink sink = item -> {
      pending.add(newItem(batchId, userId, requestId, now, item));
      if (pending.size() >= chunk) {
        flush(batchId, userId, pending);
      }
    };
    Parsed parsed;
    try (InputStream body = DataBufferUtils.subscriberInputStream(request.getBody(), 4)) {
      parsed = ndjson ? reader.readNdjson(body, sink) : reader.readJson(body, sink);
    } catch (IOException e) {
      throw unreadable(e);
    } catch (RuntimeException e) {
      throw cause(e);
    }
    flush(batchId, userId, pending);
    return new Received(batchId, parsed.count(), parsed.callbackUrl());
  }

  private void flush(UUID batchId, String userId, List<NewItem> pending) {
    if (!pending.isEmpty()) {
      batches.insertItems(batchId, userId, List.copyOf(pending)).block(writeTimeout);
      pending.clear();
    }
  }

  private NewItem newItem(UUID batchId, String userId, String requestId, Instant now, Item item) {
    UUID jobId = ids.generate();
    GenerationJob job = item.params().job(jobId.toString(), userId, JobKind.BATCH, requestId, now)
        .setDeadlineAt(now.plus(lifetime))
        .setAttemptTimeoutMs(attemptTimeout.toMillis())
        .setBatchId(batchId.toString())
        .setCustomId(item.customId())
        .build();
    return new NewItem(jobId, item.number(), item.customId(), Topics.BATCH_JOBS.valueSerde().serializer().serialize(null, job));
  }

  /** {@code application/json} (or none), {@code application/x-ndjson} / {@code application/jsonl}, UTF-8 only; else 415. */
  private static boolean ndjson(@Nullable MediaType type) {
    boolean utf8;
    try {
      utf8 = type == null || type.getCharset() == null || StandardCharsets.UTF_8.equals(type.getCharset());
    } catch (RuntimeException unsupportedCharset) {
      utf8 = false;
    }
    if (utf8 && (type == null || MediaType.APPLICATION_JSON.equalsTypeAndSubtype(type))) {
      return false;
    }
    if (utf8 && (NDJSON.equalsTypeAndSubtype(type) || JSONL.equalsTypeAndSubtype(type))) {
      return true;
    }
    throw ApiError.of(ErrorCode.INVALID_REQUEST, "A batch is UTF-8 application/json or application/x-ndjson.")
        .withStatus(415).exception();
  }

  /** The body filter's 413 (or another refusal) travels inside the stream's IOException. */
  private static RuntimeException unreadable(IOException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof ApiException api) {
        return api;
      }
    }
    return ApiError.of(ErrorCode.INVALID_REQUEST, "The request body could not be read.").exception(e);
  }

  private static RuntimeException cause(RuntimeException e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof ApiException api) {
        return api;
      }
    }
    return e;
  }
}
