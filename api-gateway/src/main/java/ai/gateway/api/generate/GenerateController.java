package ai.gateway.api.generate;

import ai.gateway.api.access.WorkAdmission;
import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.StrictJson;
import ai.gateway.api.error.RequestIds;
import ai.gateway.schemas.v1.JobKind;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/generate} and {@code POST /v1/generate/stream}. Both create work, so both go through
 * {@link WorkAdmission} (authentication, entitlement, validation, limits, in that order). The body is read by
 * {@link StrictJson} rather than bound by the framework, so it is only looked at once the caller is known to
 * be entitled, and every binding error is the gateway's own.
 */
@RestController
@Tag(name = "generate", description = "Text generation through the configured providers")
final class GenerateController {

  private static final Logger log = LoggerFactory.getLogger(GenerateController.class);

  private final WorkAdmission admission;
  private final StrictJson json;
  private final GenerateRequestValidator validator;
  private final JobDispatcher dispatcher;
  private final StreamEvents streamEvents;
  private final StreamOwners owners;
  private final long maxBodyBytes;

  GenerateController(WorkAdmission admission, StrictJson json, GenerateRequestValidator validator, JobDispatcher dispatcher,
                     StreamEvents streamEvents, StreamOwners owners, GatewayProperties properties) {
    this.admission = admission;
    this.owners = owners;
    this.json = json;
    this.validator = validator;
    this.dispatcher = dispatcher;
    this.streamEvents = streamEvents;
    this.maxBodyBytes = properties.maxBodySize().toBytes();
  }

  @PostMapping(path = "/v1/generate", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Generate text and answer when it is complete",
      requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
          content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = GenerateRequest.class))),
      responses = {
          @ApiResponse(responseCode = "200", description = "The generated text with usage and cost",
              content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = GenerateResponse.class))),
          @ApiResponse(responseCode = "default", description = "RFC 9457 problem details with the gateway's error code",
              content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE))})
  Mono<GenerateResponse> generate(ServerWebExchange exchange) {
    String requestId = RequestIds.of(exchange);
    return admission.admit(exchange, caller -> read(exchange))
        .flatMap(admitted -> SyncAnswer.of(dispatcher.submit(new JobDispatcher.Submission(admitted, requestId, JobKind.SYNC))));
  }

  @PostMapping(path = "/v1/generate/stream", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  @Operation(summary = "Generate text as Server-Sent Events",
      description = "Events `chunk` {jobId, content}, then one `done` {jobId, provider, model, finishReason, usage, costUsd}"
          + " or `error` {code, message, retryable, provider?}; ids are `<attempt>.<seq>`; `: keep-alive` comments"
          + " while quiet. An error before the first event is an HTTP error with a problem body.",
      requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
          content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = GenerateRequest.class))),
      responses = {
          @ApiResponse(responseCode = "200", description = "The event stream",
              content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE)),
          @ApiResponse(responseCode = "default", description = "RFC 9457 problem details with the gateway's error code",
              content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE))})
  Flux<ServerSentEvent<Object>> stream(ServerWebExchange exchange) {
    String requestId = RequestIds.of(exchange);
    return admission.admitStream(exchange, caller -> read(exchange), admitted -> {
      JobDispatcher.Run run = dispatcher.submit(new JobDispatcher.Submission(admitted, requestId, JobKind.STREAM));
      // Off the stream's path (the first event is a Kafka round trip and a provider call away, the insert
      // a millisecond): an instance that dies under the stream leaves it resumable at any other one.
      owners.record(run.jobId(), admitted.caller().userId()).subscribe(null, failure -> log.warn(
          "job {}: its owner was not recorded, so only this instance can resume it: {}", run.jobId(),
          failure.toString()));
      return streamEvents.render(run, requestId);
    });
  }

  private Mono<GenerationParams> read(ServerWebExchange exchange) {
    return json.read(exchange.getRequest(), GenerateRequest.class, maxBodyBytes).map(validator::validate);
  }
}
