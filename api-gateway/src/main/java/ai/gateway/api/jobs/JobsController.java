package ai.gateway.api.jobs;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import ai.gateway.api.access.CallerIdentity;
import ai.gateway.api.access.WorkAdmission;
import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.StrictJson;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.FieldViolation;
import ai.gateway.api.error.RequestIds;
import ai.gateway.api.generate.GenerateRequest;
import ai.gateway.api.generate.GenerateRequestValidator;
import ai.gateway.api.generate.JobIds;
import ai.gateway.api.generate.StreamEvents;
import ai.gateway.api.jobs.AsyncJobs.JobParams;
import ai.gateway.api.jobs.PostgresJobs.JobRow;
import ai.gateway.api.kafka.EventPosition;
import ai.gateway.api.kafka.ReplyStream;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /v1/jobs}. Creating a job goes through {@link WorkAdmission} (authentication, entitlement, validation
 * including the {@code Idempotency-Key} header, rate limit); reading, listing, cancelling and the event stream
 * need authentication only, and every one is scoped to the caller: another user's job is 404, as is an id that
 * is not a job id at all.
 */
@RestController
@Tag(name = "jobs", description = "Async jobs: submit, poll, list, cancel, and their resumable event stream")
final class JobsController {

  static final String IDEMPOTENCY_KEY = "Idempotency-Key";
  static final String REPLAYED = "Idempotent-Replayed";
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]{1,255}");
  private static final int DEFAULT_LIMIT = 20;
  private static final int MAX_LIMIT = 100;

  private final WorkAdmission admission;
  private final CallerIdentity identity;
  private final StrictJson strictJson;
  private final GenerateRequestValidator validator;
  private final AsyncJobs asyncJobs;
  private final PostgresJobs jobs;
  private final ReplyStream replies;
  private final StreamEvents streamEvents;
  private final JsonMapper json;
  private final long maxBodyBytes;
  private final int maxMetadataBytes;

  private final java.util.Set<String> allowedCallbackHosts;

  JobsController(WorkAdmission admission, CallerIdentity identity, StrictJson strictJson, GenerateRequestValidator validator,
                 AsyncJobs asyncJobs, PostgresJobs jobs, ReplyStream replies, StreamEvents streamEvents, JsonMapper json,
                 GatewayProperties properties) {
    this.admission = admission;
    this.identity = identity;
    this.strictJson = strictJson;
    this.validator = validator;
    this.asyncJobs = asyncJobs;
    this.jobs = jobs;
    this.replies = replies;
    this.streamEvents = streamEvents;
    this.json = json;
    this.maxBodyBytes = properties.maxBodySize().toBytes();
    this.maxMetadataBytes = properties.jobs().maxMetadataBytes();
    this.allowedCallbackHosts = properties.callbacks().allowedHostSet();
  }

  @PostMapping(path = "/v1/jobs", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Submit an async job",
      description = "The generate request plus callbackUrl (absolute https) and metadata (string values, at most 4 KiB)."
          + " With an Idempotency-Key, the same key and body answer 202 with the same job (header Idempotent-Replayed:"
          + " true); the same key with another body 422; while the first request is still being accepted 409.",
      requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
          content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = JobBodies.JobRequest.class))),
      responses = {
          @ApiResponse(responseCode = "202", description = "Accepted (or the earlier request's job for the same Idempotency-Key)",
              content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = JobBodies.Accepted.class))),
          @ApiResponse(responseCode = "default", description = "RFC 9457 problem details with the gateway's error code",
              content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE))})
  Mono<ResponseEntity<JobBodies.Accepted>> submit(ServerWebExchange exchange) {
    String requestId = RequestIds.of(exchange);
    String[] key = new String[1];
    return admission.admit(exchange, caller -> {
          key[0] = idempotencyKey(exchange);
          return strictJson.read(exchange.getRequest(), JobBodies.JobRequest.class, maxBodyBytes).map(this::validate);
        })
        .flatMap(admitted -> asyncJobs.submit(admitted, key[0], requestId))
        .map(submitted -> {
          String id = submitted.id().toString();
          ResponseEntity.BodyBuilder answer = ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create("/v1/jobs/" + id));
          if (submitted.replayed()) {
            answer.header(REPLAYED, "true");
          }
          return answer.body(new JobBodies.Accepted(id, submitted.status().wire(), JobBodies.Links.of(id)));
        });
  }

  @GetMapping(path = "/v1/jobs/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "One of the caller's jobs")
  Mono<JobBodies.Job> job(@PathVariable("id") String id, ServerWebExchange exchange) {
    UUID jobId = jobId(id);
    return identity.resolve(exchange)
        .flatMap(caller -> jobs.find(caller.userId(), jobId))
        .map(found -> body(found.orElseThrow(JobsController::notFound)));
  }

  @GetMapping(path = "/v1/jobs", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "The caller's jobs, newest first",
      description = "limit 1..100 (default 20); after: the id of the last job of the previous page (its nextAfter)")
  Mono<JobBodies.Page> list(ServerWebExchange exchange) {
    Map<String, List<String>> query = exchange.getRequest().getQueryParams();
    int limit = limit(single(query, "limit"));
    UUID after = after(single(query, "after"));
    return identity.resolve(exchange)
        .flatMap(caller -> jobs.list(caller.userId(), after, limit + 1))
        .map(rows -> {
          List<JobBodies.Job> page = rows.stream().limit(limit).map(this::body).toList();
          String next = rows.size() > limit ? page.get(page.size() - 1).id() : null;
          return new JobBodies.Page(page, next);
        });
  }

  @PostMapping(path = "/v1/jobs/{id}/cancel", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Cancel a queued or running job",
      description = "202 with the job as it stands (it becomes cancelled when a worker confirms); 409 when it has finished")
  Mono<ResponseEntity<JobBodies.Job>> cancel(@PathVariable("id") String id, ServerWebExchange exchange) {
    UUID jobId = jobId(id);
    return identity.resolve(exchange)
        .flatMap(caller -> asyncJobs.cancel(caller.userId(), jobId))
        .map(row -> ResponseEntity.status(HttpStatus.ACCEPTED).body(body(row)));
  }

  @GetMapping(path = "/v1/jobs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  @Operation(summary = "The job's events as Server-Sent Events",
      description = "As POST /v1/generate/stream; Last-Event-ID resumes after that event at any instance; a finished"
          + " job replays its events and ends. Holds one of the caller's open-stream slots while open (429 beyond"
          + " gateway.rate-limit.max-open-streams)")
  Flux<ServerSentEvent<Object>> events(@PathVariable("id") String id, ServerWebExchange exchange) {
    UUID jobId = jobId(id);
    String requestId = RequestIds.of(exchange);
    // an async job's row, or the owner a streamed job recorded (POST /v1/generate/stream): either may resume
    // and, as every open event stream, holds one of the caller's stream slots while it is open
    return identity.resolve(exchange)
        .flatMap(caller -> jobs.find(caller.userId(), jobId).flatMap(found -> found.isPresent()
            ? Mono.just(true) : jobs.ownsStream(caller.userId(), jobId))
            .map(owned -> {
              if (!owned) {
                throw notFound();
              }
              return caller;
            }))
        .flatMapMany(caller -> {
          EventPosition after = lastEventId(exchange.getRequest().getHeaders().getFirst("Last-Event-ID"));
          String key = jobId.toString();
          return admission.holdStreamSlot(caller,
              () -> streamEvents.renderReplay(key, replies.replay(key, JobIds.createdAt(key), after), requestId));
        });
  }

  static ApiException notFound() {
    return ApiError.of(ErrorCode.NOT_FOUND, "No such job.").exception();
  }

  private JobParams validate(JobBodies.JobRequest request) {
    var params = validator.validate(new GenerateRequest(request.prompt(), request.systemPrompt(), request.provider(),
        request.model(), request.maxTokens(), request.temperature()));
    List<FieldViolation> errors = new ArrayList<>();
    if (request.callbackUrl() != null) {
      String problem = CallbackUrls.problem(request.callbackUrl(), allowedCallbackHosts);
      if (problem != null) {
        errors.add(new FieldViolation("callbackUrl", problem));
      }
    }
    Map<String, String> metadata = request.metadata();
    if (metadata != null) {
      if (metadata.values().stream().anyMatch(value -> value == null)) {
        errors.add(new FieldViolation("metadata", "values must be strings"));
      } else if (json.writeValueAsString(metadata).getBytes(StandardCharsets.UTF_8).length > maxMetadataBytes) {
        errors.add(new FieldViolation("metadata", "must be at most " + maxMetadataBytes + " bytes as JSON"));
      } else if (metadata.entrySet().stream().anyMatch(e -> e.getKey().indexOf('\u0000') >= 0 || e.getValue().indexOf('\u0000') >= 0)) {
        errors.add(new FieldViolation("metadata", "must not contain NUL characters"));
      }
    }
    if (!errors.isEmpty()) {
      throw ApiError.invalid(errors.size() == 1 ? "The request has an invalid field." : "The request has invalid fields.", errors)
          .exception();
    }
    return new JobParams(params, request.callbackUrl(), metadata);
  }

  private static @Nullable String idempotencyKey(ServerWebExchange exchange) {
    List<String> values = exchange.getRequest().getHeaders().get(IDEMPOTENCY_KEY);
    if (values == null || values.isEmpty()) {
      return null;
    }
    // The value is never echoed: it may be anything, CR and LF included.
    if (values.size() > 1 || !KEY.matcher(values.get(0)).matches()) {
      throw ApiError.invalidField(IDEMPOTENCY_KEY, "must match [A-Za-z0-9_-]{1,255}").exception();
    }
    return values.get(0);
  }

  /** A malformed id names no job: 404, as another user's job is. */
  private static UUID jobId(String id) {
    UUID parsed = JobIds.parseV7(id);
    if (parsed == null) {
      throw notFound();
    }
    return parsed;
  }

  private static @Nullable EventPosition lastEventId(@Nullable String header) {
    if (header == null) {
      return null;
    }
    try {
      return EventPosition.parse(header);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalidField("Last-Event-ID", "must be <attempt>.<seq> as sent in an event id").exception();
    }
  }

  private static @Nullable String single(Map<String, List<String>> query, String name) {
    List<String> values = query.get(name);
    if (values == null || values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw ApiError.invalidField(name, "must be given once").exception();
    }
    return values.get(0);
  }

  private static int limit(@Nullable String value) {
    if (value == null) {
      return DEFAULT_LIMIT;
    }
    try {
      int limit = Integer.parseInt(value);
      if (limit >= 1 && limit <= MAX_LIMIT && value.equals(Integer.toString(limit))) {
        return limit;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw ApiError.invalidField("limit", "must be an integer from 1 to " + MAX_LIMIT).exception();
  }

  private static @Nullable UUID after(@Nullable String value) {
    if (value == null) {
      return null;
    }
    try {
      UUID parsed = UUID.fromString(value);
      if (parsed.toString().equals(value)) {
        return parsed;
      }
    } catch (IllegalArgumentException e) {
      // below
    }
    throw ApiError.invalidField("after", "must be a job id").exception();
  }

  private JobBodies.Job body(JobRow row) {
    return JobBodies.job(row, json);
  }
}
