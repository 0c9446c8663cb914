package ai.gateway.simulator;

import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Failure;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Anthropic Messages on the wire: {@code event:} + {@code data:} SSE events, the {@code message} body and the
 * error envelope, shaped like the captures in the shared fixtures ({@code anthropic-*}). Compact JSON in
 * Anthropic's key order; written as text so thousands of streams need no serializer per token.
 */
final class AnthropicWire {

  static final String JSON = "application/json";
  static final String EVENT_STREAM = "text/event-stream; charset=utf-8";
  static final String PING = "event: ping\ndata: {\"type\": \"ping\"}\n\n";
  static final String CONTENT_BLOCK_START = "event: content_block_start\ndata: {\"type\":\"content_block_start\","
      + "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
  static final String CONTENT_BLOCK_STOP = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\","
      + "\"index\":0}\n\n";
  static final String MESSAGE_STOP = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  /** The documented error event inside a 200 stream ("would normally correspond to an HTTP 529"). */
  static final String OVERLOADED_EVENT = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
      + "\"message\":\"Overloaded\"}}\n\n";

  /** The {@code stop_details} of a refusal, as the live API sends with {@code stop_reason: "refusal"}. */
  private static final String REFUSAL_DETAILS = "{\"type\":\"refusal\",\"category\":\"cyber\","
      + "\"explanation\":\"This request was refused due to policy.\"}";

  private AnthropicWire() {}

  static String stopReason(Ending ending) {
    return switch (ending) {
      case LENGTH -> "max_tokens";
      case CONTENT_FILTER -> "refusal";
      default -> "end_turn";
    };
  }

  /**
   * The error for a failure. {@code requestId} goes in the {@code request-id} header and the body, as
   * Anthropic sends it; {@code now} dates the rate-limit reset headers.
   */
  static WireResponse error(Failure failure, String model, String requestId, Instant now) {
    return switch (failure) {
      case RATE_LIMITED -> error(429, "rate_limit_error", "This request would exceed your organization's rate limit"
          + " of 30,000 input tokens per minute (org: sim-org, model: " + model + "). For details, refer to:"
          + " https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please"
          + " reduce the prompt length or the maximum tokens requested, or try again later.", requestId,
          rateLimitHeaders(now));
      case SERVER_ERROR -> error(500, "api_error", "Internal server error", requestId, Map.of());
      case OVERLOADED -> error(529, "overloaded_error", "Overloaded", requestId, Map.of("x-should-retry", "true"));
      // Never derived from the caller's key: the simulator must not echo secrets, even masked.
      case INVALID_API_KEY -> error(401, "authentication_error", "invalid x-api-key", requestId, Map.of());
      // The fixture's "token-word trap": an output limit, no context-length error.
      case INVALID_REQUEST -> error(400, "invalid_request_error", "max_tokens: 128001 > 64000, which is the maximum"
          + " allowed number of output tokens for " + model, requestId, Map.of());
      case CONTEXT_LENGTH_EXCEEDED -> error(400, "invalid_request_error",
          "prompt is too long: 216327 tokens > 200000 maximum", requestId, Map.of());
      // Live captures send quota as 400 invalid_request_error, told apart only by this message.
      case INSUFFICIENT_QUOTA -> error(400, "invalid_request_error", "Your credit balance is too low to access the"
          + " Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.", requestId, Map.of());
      case MODEL_NOT_FOUND -> error(404, "not_found_error", "model: " + model, requestId, Map.of());
    };
  }

  static WireResponse invalidRequest(String message, String requestId) {
    return error(400, "invalid_request_error", message, requestId, Map.of());
  }

  static WireResponse missingApiKey(String requestId) {
    return error(401, "authentication_error", "x-api-key header is required", requestId, Map.of());
  }

  static WireResponse error(int status, String type, String message, String requestId, Map<String, String> headers) {
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.put("request-id", requestId);
    return new WireResponse(status, JSON, all, errorBody(type, message, requestId));
  }

  static String errorBody(String type, String message, String requestId) {
    return "{\"type\":\"error\",\"error\":{\"type\":" + Json.quote(type) + ",\"message\":" + Json.quote(message)
        + "},\"request_id\":" + Json.quote(requestId) + "}";
  }

  /** {@code retry-after} in seconds plus the {@code anthropic-ratelimit-*} family, resets in RFC 3339. */
  private static Map<String, String> rateLimitHeaders(Instant now) {
    String soon = now.plusSeconds(1).truncatedTo(ChronoUnit.SECONDS).toString();
    String later = now.plusSeconds(60).truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("retry-after", "1");
    headers.put("x-should-retry", "true");
    headers.put("anthropic-ratelimit-requests-limit", "1000");
    headers.put("anthropic-ratelimit-requests-remaining", "999");
    headers.put("anthropic-ratelimit-requests-reset", later);
    headers.put("anthropic-ratelimit-input-tokens-limit", "30000");
    headers.put("anthropic-ratelimit-input-tokens-remaining", "0");
    headers.put("anthropic-ratelimit-input-tokens-reset", soon);
    headers.put("anthropic-ratelimit-output-tokens-limit", "8000");
    headers.put("anthropic-ratelimit-output-tokens-remaining", "8000");
    headers.put("anthropic-ratelimit-output-tokens-reset", later);
    return headers;
  }

  /** The usage object with the cache fields a live response carries. */
  static String usage(long inputTokens, long outputTokens) {
    return "{\"input_tokens\":" + inputTokens + ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
        + "\"output_tokens\":" + outputTokens + "}";
  }

  /** The non-stream {@code message} body; {@code usage} false leaves the field out ({@code sim-no-usage}). */
  static String message(String id, String model, String text, Ending ending, long inputTokens, long outputTokens,
      boolean usage) {
    return "{\"id\":" + Json.quote(id) + ",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + Json.quote(model)
        + ",\"content\":[{\"type\":\"text\",\"text\":" + Json.quote(text) + "}],\"stop_reason\":"
        + Json.quote(stopReason(ending)) + ",\"stop_sequence\":null"
        + (ending == Ending.CONTENT_FILTER ? ",\"stop_details\":" + REFUSAL_DETAILS : "")
        + (usage ? ",\"usage\":{\"input_tokens\":" + inputTokens + ",\"cache_creation_input_tokens\":0,"
            + "\"cache_read_input_tokens\":0,\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,"
            + "\"ephemeral_1h_input_tokens\":0},\"output_tokens\":" + outputTokens + ",\"service_tier\":\"standard\"}"
            : "")
        + "}";
  }

  /** The SSE events of one stream. */
  static final class Events {

    private final String id;
    private final String model;

    Events(String id, String model) {
      this.id = id;
      this.model = model;
    }

    /** {@code message_start}: input tokens and an initial {@code output_tokens} of 1, as the live API sends. */
    String messageStart(long inputTokens) {
      return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":" + Json.quote(id)
          + ",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":" + Json.quote(model)
          + ",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":" + usage(inputTokens, 1) + "}}\n\n";
    }

    String textDelta(String text) {
      return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
          + "{\"type\":\"text_delta\",\"text\":" + Json.quote(text) + "}}\n\n";
    }

    /**
     * {@code message_delta} with the stop reason and the cumulative usage (input tokens included, as in live
     * captures): a caller must replace what {@code message_start} said, never add to it. {@code usage} false
     * leaves the usage out ({@code sim-no-usage}).
     */
    String messageDelta(Ending ending, long inputTokens, long outputTokens, boolean usage) {
      return "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
          + Json.quote(stopReason(ending)) + ",\"stop_sequence\":null"
          + (ending == Ending.CONTENT_FILTER ? ",\"stop_details\":" + REFUSAL_DETAILS : "") + "}"
          + (usage ? ",\"usage\":" + usage(inputTokens, outputTokens) : "") + "}\n\n";
    }
  }
}
