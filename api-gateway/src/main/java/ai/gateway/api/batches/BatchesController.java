package ai.gateway.api.batches;

import java.net.URI;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import ai.gateway.api.access.CallerIdentity;
import ai.gateway.api.access.WorkAdmission;
import ai.gateway.api.batches.PostgresBatches.BatchRow;
import ai.gateway.api.batches.PostgresBatches.ItemStatus;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.RequestIds;
import ai.gateway.api.generate.JobIds;
import ai.gateway.api.kafka.JobPublisher;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobControlAction;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/batches}. Creating a batch goes through {@link WorkAdmission} once for the whole batch
 * (authentication, entitlement, validation of every item while the body is read and stored, then one count
 * against the rate limit); a batch refused at any step leaves no rows and published nothing. Reading, results and
 * cancel need authentication only and are scoped to the caller: another user's batch is 404.
 */
@RestController
@Tag(name = "batches", description = "Batches: many generate requests at once, results as NDJSON")
final class BatchesController {

  static final String USER_REQUEST = "user-request";

  private final WorkAdmission admission;
  private final CallerIdentity identity;
  private final BatchReceiver receiver;
  private final PostgresBatches batches;
  private final BatchFeeder feeder;
  private final JobPublisher publisher;
  private final JsonMapper json;
  private final Clock clock;

  BatchesController(WorkAdmission admission, CallerIdentity identity, BatchReceiver receiver, PostgresBatches batches,
                    BatchFeeder feeder, JobPublisher publisher, JsonMapper json, Clock clock) {
    this.admission = admission;
    this.identity = identity;
    this.receiver = receiver;
    this.batches = batches;
    this.feeder = feeder;
    this.publisher = publisher;
    this.json = json;
    this.clock = clock;
  }

  @PostMapping(path = "/v1/batches", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Submit a batch",
      description = "JSON {\"requests\":[{\"custom_id\",\"body\"}],\"callbackUrl\"?} or application/x-ndjson with one"
          + " {\"custom_id\",\"body\"} per line (method and url accepted and ignored); at most 50,000 requests and 200 MiB."
          + " An invalid request, a duplicate custom_id or one request too many rejects the whole batch with 400 naming"
          + " the line (NDJSON) or item (JSON). Counts once against the rate limit.",
      requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
          @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = BatchBodies.BatchRequest.class)),
          @Content(mediaType = "application/x-ndjson")}),
      responses = {
          @ApiResponse(responseCode = "202", description = "Accepted",
              content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = BatchBodies.Accepted.class))),
          @ApiResponse(responseCode = "default", description = "RFC 9457 problem details with the gateway's error code",
              content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE))})
  Mono<ResponseEntity<BatchBodies.Accepted>> submit(ServerWebExchange exchange) {
    String requestId = RequestIds.of(exchange);
    AtomicReference<UUID> stored = new AtomicReference<>();
    return admission.admit(exchange, caller -> receiver.receive(caller.userId(), requestId, exchange.getRequest(), stored::set))
        .flatMap(admitted -> {
          BatchReceiver.Received received = admitted.request();
          return batches.activate(received.batchId(), received.total(), received.callbackUrl())
              .flatMap(activated -> activated ? Mono.just(received.batchId())
                  : Mono.error(ApiError.of(ErrorCode.UNAVAILABLE, "The batch could not be stored; try again.").exception()));
        })
        .doOnNext(id -> feeder.wake())
        // Refused after its items were stored (the rate limit) or failed: the rows go, nothing was published.
        .onErrorResume(failure -> discard(stored).then(Mono.error(failure)))
        .doOnCancel(() -> discard(stored).subscribe())
        .map(id -> ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create("/v1/batches/" + id))
            .body(new BatchBodies.Accepted(id.toString(), "queued")));
  }

  @GetMapping(path = "/v1/batches/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "One of the caller's batches, with its counts")
  Mono<BatchBodies.Batch> batch(@PathVariable("id") String id, ServerWebExchange exchange) {
    UUID batchId = batchId(id);
    return owned(exchange, batchId).flatMap(this::body);
  }

  @GetMapping(path = "/v1/batches/{id}/results", produces = "application/x-ndjson")
  @Operation(summary = "The batch's finished items as NDJSON, in completion order; readable while it runs",
      description = "One line per finished item: {\"custom_id\",\"status\",\"result\"?,\"error\"?}")
  Mono<ResponseEntity<Flux<DataBuffer>>> results(@PathVariable("id") String id, ServerWebExchange exchange) {
    UUID batchId = batchId(id);
    return owned(exchange, batchId).map(row -> ResponseEntity.ok()
        .contentType(BatchReceiver.NDJSON)
        .body(batches.finished(row.id()).map(item -> {
          byte[] line = json.writeValueAsBytes(new BatchBodies.ResultLine(item.customId(), item.status().wire(),
              item.resultJson(), item.errorJson()));
          DataBuffer buffer = exchange.getResponse().bufferFactory().allocateBuffer(line.length + 1);
          buffer.write(line);
          buffer.write((byte) '\n');
          return buffer;
        })));
  }

  @PostMapping(path = "/v1/batches/{id}/cancel", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Cancel a batch",
      description = "Queued items never run; running ones are cancelled by their workers. 202 with the batch as it"
          + " stands (cancelling until its running items end); 409 when it has completed")
  Mono<ResponseEntity<BatchBodies.Batch>> cancel(@PathVariable("id") String id, ServerWebExchange exchange) {
    UUID batchId = batchId(id);
    return owned(exchange, batchId)
        .flatMap(row -> {
          if (row.completedAt() != null && !row.cancelRequested()) {
            return Mono.error(ApiError.of(ErrorCode.INVALID_REQUEST, "The batch has already completed.").withStatus(409)
                .exception());
          }
          return batches.cancel(row.id())
              .flatMapMany(Flux::fromIterable)
              .concatMap(jobId -> publisher.control(JobControl.newBuilder()
                  .setJobId(jobId.toString())
                  .setAction(JobControlAction.CANCEL)
                  .setUserId(row.userId())
                  .setReason(USER_REQUEST)
                  .setRequestedAt(clock.instant().truncatedTo(ChronoUnit.MILLIS))
                  .build()))
              .then(batches.find(row.userId(), row.id()))
              .map(found -> found.orElseThrow(BatchesController::notFound));
        })
        .flatMap(this::body)
        .map(body -> ResponseEntity.status(HttpStatus.ACCEPTED).body(body));
  }

  private Mono<BatchRow> owned(ServerWebExchange exchange, UUID batchId) {
    return identity.resolve(exchange)
        .flatMap(caller -> batches.find(caller.userId(), batchId))
        .map(found -> found.orElseThrow(BatchesController::notFound));
  }

  private Mono<BatchBodies.Batch> body(BatchRow row) {
    return batches.counts(row.id()).map(counts -> body(row, counts));
  }

  /**
   * The API status, from the items: completed (or cancelled) once none is unfinished. {@code completedAt} is the
   * batch's completion time, or, in the moment between its last item's end and that being recorded, the last end.
   */
  static BatchBodies.Batch body(BatchRow row, PostgresBatches.Counts itemCounts) {
    Map<ItemStatus, Long> counts = itemCounts.byStatus();
    long queuedOnly = counts.getOrDefault(ItemStatus.QUEUED, 0L);
    long queued = queuedOnly + counts.getOrDefault(ItemStatus.DISPATCHED, 0L);
    long running = counts.getOrDefault(ItemStatus.RUNNING, 0L);
    long succeeded = counts.getOrDefault(ItemStatus.SUCCEEDED, 0L);
    long failed = counts.getOrDefault(ItemStatus.FAILED, 0L);
    long cancelled = counts.getOrDefault(ItemStatus.CANCELLED, 0L);
    long total = queued + running + succeeded + failed + cancelled;
    boolean open = queued + running > 0;
    String status;
    if (row.cancelRequested()) {
      status = open ? "cancelling" : "cancelled";
    } else if (!open) {
      status = "completed";
    } else if (queuedOnly == total) {
      status = "queued";
    } else {
      status = "running";
    }
    return new BatchBodies.Batch(row.id().toString(), status,
        new BatchBodies.Counts(total, queued, running, succeeded, failed, cancelled), row.createdAt(),
        open ? null : row.completedAt() != null ? row.completedAt() : itemCounts.lastFinishedAt());
  }

  private Mono<Void> discard(AtomicReference<UUID> stored) {
    UUID id = stored.get();
    return id == null ? Mono.empty() : batches.discard(id).onErrorResume(cleanup -> Mono.empty());
  }

  static ApiException notFound() {
    return ApiError.of(ErrorCode.NOT_FOUND, "No such batch.").exception();
  }

  /** A malformed id names no batch: 404, as another user's batch is. */
  private static UUID batchId(String id) {
    UUID parsed = JobIds.parseV7(id);
    if (parsed == null) {
      throw notFound();
    }
    return parsed;
  }

}
