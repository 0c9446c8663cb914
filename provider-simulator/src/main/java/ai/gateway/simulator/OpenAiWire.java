package ai.gateway.simulator;

import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Failure;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * OpenAI Chat Completions on the wire: SSE chunks, the {@code chat.completion} body and error bodies, shaped
 * like the captures in the shared fixtures ({@code openai-*}). Written as text so field order and the
 * pretty-printed error bodies match what OpenAI sends.
 */
final class OpenAiWire {

  static final String DONE = "data: [DONE]\n\n";
  static final String SYSTEM_FINGERPRINT = "fp_simulator";
  static final String JSON_UTF8 = "application/json; charset=utf-8";

  /** Aliases resolve to dated snapshots, as OpenAI reports them. */
  private static final Map<String, String> SNAPSHOTS = Map.of(
      "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
      "gpt-4o", "gpt-4o-2024-08-06",
      "gpt-4.1", "gpt-4.1-2025-04-14",
      "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14",
      "gpt-4.1-nano", "gpt-4.1-nano-2025-04-14",
      "gpt-4-turbo", "gpt-4-turbo-2024-04-09",
      "gpt-3.5-turbo", "gpt-3.5-turbo-0125",
      "o3-mini", "o3-mini-2025-01-31");
  static final String DEFAULT_SNAPSHOT_SUFFIX = "-2024-07-18";
  private static final Pattern DATED = Pattern.compile(".*-(\\d{4}-\\d{2}-\\d{2}|\\d{4})");

  private OpenAiWire() {}

  /**
   * The {@code model} field of a response: {@code sim-*} names and names that already end in a date are
   * reported unchanged; known aliases get their snapshot ({@code gpt-4o-mini} → {@code gpt-4o-mini-2024-07-18});
   * any other name gets {@code -2024-07-18}, so a caller that echoes the requested model is caught.
   */
  static String reportedModel(String requested) {
    if (requested.startsWith("sim-") || DATED.matcher(requested).matches()) {
      return requested;
    }
    return SNAPSHOTS.getOrDefault(requested, requested + DEFAULT_SNAPSHOT_SUFFIX);
  }

  static String finishReason(Ending ending) {
    return switch (ending) {
      case LENGTH -> "length";
      case CONTENT_FILTER -> "content_filter";
      default -> "stop";
    };
  }

  static WireResponse error(Failure failure, String model, String callId) {
    return switch (failure) {
      case RATE_LIMITED -> error(429, Map.of(
          "retry-after", "1",
          "x-ratelimit-limit-requests", "5000",
          "x-ratelimit-limit-tokens", "30000",
          "x-ratelimit-remaining-requests", "4999",
          "x-ratelimit-remaining-tokens", "0",
          "x-ratelimit-reset-requests", "12ms",
          "x-ratelimit-reset-tokens", "644ms"),
          errorBody("Rate limit reached for " + model + " in organization org-simulator on tokens per min (TPM):"
              + " Limit 30000, Used 29937, Requested 385. Please try again in 644ms. Visit"
              + " https://platform.openai.com/account/rate-limits to learn more.", "tokens", null, "rate_limit_exceeded"));
      case SERVER_ERROR -> error(500, Map.of(), errorBody("The server had an error processing your request."
          + " Sorry about that! You can retry your request, or contact us through our help center at help.openai.com"
          + " if you keep seeing this error. (Please include the request ID req_" + callId + " in your email.)",
          "server_error", null, null));
      case OVERLOADED -> error(503, Map.of(), errorBody(
          "Our servers are currently overloaded. Please try again later.", "service_unavailable_error", null,
          "server_is_overloaded"));
      // Never derived from the caller's key: the simulator must not echo secrets, even masked.
      case INVALID_API_KEY -> error(401, Map.of(), errorBody("Incorrect API key provided: sk-sim-****."
          + " You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error",
          null, "invalid_api_key"));
      // The fixture's "token-word trap": talks about tokens, yet code is null, so it is no context-length error.
      case INVALID_REQUEST -> error(400, Map.of(), errorBody("max_tokens is too large: 8192. This model"
          + " supports at most 4096 completion tokens, whereas you provided 8192.", "invalid_request_error",
          "max_tokens", null));
      case CONTEXT_LENGTH_EXCEEDED -> error(400, Map.of(), errorBody("This model's maximum context length"
          + " is 4097 tokens. However, your messages resulted in 4363 tokens. Please reduce the length of the"
          + " messages.", "invalid_request_error", "messages", "context_length_exceeded"));
      case INSUFFICIENT_QUOTA -> error(429, Map.of(), errorBody("You exceeded your current quota, please"
          + " check your plan and billing details. For more information on this error, read the docs:"
          + " https://platform.openai.com/docs/guides/error-codes/api-errors.", "insufficient_quota", null,
          "insufficient_quota"));
      case MODEL_NOT_FOUND -> error(404, Map.of(), errorBody("The model `" + model
          + "` does not exist or you do not have access to it.", "invalid_request_error", null, "model_not_found"));
    };
  }

  static WireResponse invalidRequest(InvalidRequestException e) {
    return error(400, Map.of(), errorBody(e.getMessage(), "invalid_request_error", e.param(), e.code()));
  }

  private static WireResponse error(int status, Map<String, String> headers, String body) {
    return new WireResponse(status, JSON_UTF8, headers, body);
  }

  /** OpenAI's error envelope, pretty-printed with two spaces as captured bodies are. */
  static String errorBody(String message, String type, @Nullable String param, @Nullable String code) {
    return """
        {
          "error": {
            "message": %s,
            "type": %s,
            "param": %s,
            "code": %s
          }
        }
        """.formatted(Json.quote(message), Json.quote(type), Json.quoteOrNull(param), Json.quoteOrNull(code));
  }

  static String usage(long promptTokens, long completionTokens) {
    return "{\"prompt_tokens\":" + promptTokens + ",\"completion_tokens\":" + completionTokens
        + ",\"total_tokens\":" + (promptTokens + completionTokens)
        + ",\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0}"
        + ",\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
        + "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}";
  }

  /** The non-stream {@code chat.completion} body; {@code usage} null leaves the field out. */
  static String completion(String id, long created, String model, String content, String finishReason,
      @Nullable String usage) {
    return "{\"id\":" + Json.quote(id) + ",\"object\":\"chat.completion\",\"created\":" + created
        + ",\"model\":" + Json.quote(model)
        + ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" + Json.quote(content)
        + ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":" + Json.quote(finishReason) + "}]"
        + (usage == null ? "" : ",\"usage\":" + usage)
        + ",\"service_tier\":\"default\",\"system_fingerprint\":\"" + SYSTEM_FINGERPRINT + "\"}";
  }

  /**
   * The SSE events of one stream. The envelope is rendered once per stream and each content chunk only
   * splices in its text: thousands of concurrent streams must not each run a JSON serializer per token.
   */
  static final class Chunks {

    private final String head;
    private final String tail;
    private final String usageHead;

    /** @param includeUsage the caller asked for usage: every other chunk then carries {@code "usage":null} */
    Chunks(String id, long created, String model, boolean includeUsage) {
      this.head = "data: {\"id\":" + Json.quote(id) + ",\"object\":\"chat.completion.chunk\",\"created\":" + created
          + ",\"model\":" + Json.quote(model) + ",\"service_tier\":\"default\",\"system_fingerprint\":\""
          + SYSTEM_FINGERPRINT + "\",\"choices\":";
      this.tail = (includeUsage ? ",\"usage\":null" : "") + "}\n\n";
      this.usageHead = head + "[],\"usage\":";
    }

    String role() {
      return choice("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}", null);
    }

    String content(String text) {
      return choice("{\"content\":" + Json.quote(text) + "}", null);
    }

    String finish(String finishReason) {
      return choice("{}", finishReason);
    }

    String usage(long promptTokens, long completionTokens) {
      return usageHead + OpenAiWire.usage(promptTokens, completionTokens) + "}\n\n";
    }

    /** The error frame OpenAI sends inside a 200 stream (fixture openai-stream-error-midstream.sse). */
    String serverError() {
      return "data: {\"error\":{\"message\":\"The server experienced an error while processing your request. We"
          + " apologize for the inconvenience!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n";
    }

    private String choice(String delta, @Nullable String finishReason) {
      return head + "[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
          + (finishReason == null ? "null" : Json.quote(finishReason)) + "}]" + tail;
    }
  }
}
