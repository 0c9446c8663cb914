package ai.gateway.simulator;

import ai.gateway.simulator.Scenario.Ending;
import ai.gateway.simulator.Scenario.Failure;
import java.util.Map;

/**
 * Gemini generateContent on the wire, shaped like the captures in the shared fixtures ({@code gemini-*}):
 * stream chunks as {@code data: <GenerateContentResponse>} events separated by CRLF CRLF, in Gemini's JSON
 * style (a space after {@code :}, none after {@code ,}), the pretty-printed non-stream body, and
 * {@code google.rpc} error envelopes pretty-printed with two spaces and a trailing newline.
 */
final class GeminiWire {

  static final String JSON = "application/json; charset=UTF-8";
  static final String EVENT_STREAM = "text/event-stream";
  /** Gemini's SSE framing: CRLF line ends, so an adapter that only splits on LF LF never sees an event end. */
  static final String EVENT_END = "\r\n\r\n";

  private static final String RATE_LIMIT_DETAILS = """
      ,
          "details": [
            {
              "@type": "type.googleapis.com/google.rpc.QuotaFailure",
              "violations": [
                {
                  "quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count",
                  "quotaId": "GenerateContentPaidTierInputTokensPerModelPerMinute",
                  "quotaDimensions": {
                    "location": "global",
                    "model": %s
                  },
                  "quotaValue": "1000000"
                }
              ]
            },
            {
              "@type": "type.googleapis.com/google.rpc.Help",
              "links": [
                {
                  "description": "Learn more about Gemini API quotas",
                  "url": "https://ai.google.dev/gemini-api/docs/rate-limits"
                }
              ]
            },
            {
              "@type": "type.googleapis.com/google.rpc.RetryInfo",
              "retryDelay": "1s"
            }
          ]""";

  private static final String API_KEY_INVALID_DETAILS = """
      ,
          "details": [
            {
              "@type": "type.googleapis.com/google.rpc.ErrorInfo",
              "reason": "API_KEY_INVALID",
              "domain": "googleapis.com",
              "metadata": {
                "service": "generativelanguage.googleapis.com"
              }
            },
            {
              "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
              "locale": "en-US",
              "message": "API key not valid. Please pass a valid API key."
            }
          ]""";

  private static final String SAFETY_RATINGS = "[{\"category\": \"HARM_CATEGORY_DANGEROUS_CONTENT\","
      + "\"probability\": \"HIGH\",\"blocked\": true}]";

  private GeminiWire() {}

  static String finishReason(Ending ending) {
    return switch (ending) {
      case LENGTH -> "MAX_TOKENS";
      case CONTENT_FILTER -> "SAFETY";
      default -> "STOP";
    };
  }

  /**
   * The error for a failure. {@code contentType} is {@link #EVENT_STREAM} for a streamGenerateContent call:
   * Gemini labels a pre-stream error body so although it is plain JSON, and an adapter must check the status
   * before handing the body to its SSE parser.
   */
  static WireResponse error(Failure failure, String model, String contentType) {
    return switch (failure) {
      // No Retry-After header: the delay travels in RetryInfo only.
      case RATE_LIMITED -> error(429, "You exceeded your current quota, please check your plan and billing details."
          + " For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
          "RESOURCE_EXHAUSTED", RATE_LIMIT_DETAILS.formatted(Json.quote(model)), contentType);
      case SERVER_ERROR -> error(500, "An internal error has occurred. Please retry or report in"
          + " https://developers.generativeai.google/guide/troubleshooting", "INTERNAL", "", contentType);
      case OVERLOADED -> error(503, "The model is overloaded. Please try again later.", "UNAVAILABLE", "", contentType);
      // A bad key is a 400 at Gemini, recognised by ErrorInfo.reason; never derived from the caller's key.
      case INVALID_API_KEY -> error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
          API_KEY_INVALID_DETAILS, contentType);
      // The "token-word trap": an output limit, not the input token count of a context-length error.
      case INVALID_REQUEST -> invalidArgument("Unable to submit request because it has a maxOutputTokens value of"
          + " 70000 but the supported range is from 1 (inclusive) to 65537 (exclusive). Update the value and try"
          + " again.", contentType);
      case CONTEXT_LENGTH_EXCEEDED -> invalidArgument("The input token count (3475108) exceeds the maximum number of"
          + " tokens allowed (1048576).", contentType);
      // Depleted prepay credits: 402 since Google's 2025 change (it used to be an unretryable 429).
      case INSUFFICIENT_QUOTA -> error(402, "Your prepayment credits are depleted. Please go to AI Studio at"
          + " https://ai.studio/projects to manage your project and billing. Learn more at"
          + " https://ai.google.dev/gemini-api/docs/billing#prepay.", "RESOURCE_EXHAUSTED", "", contentType);
      case MODEL_NOT_FOUND -> error(404, "models/" + model + " is not found for API version v1beta, or is not"
          + " supported for generateContent. Call ListModels to see the list of available models and their supported"
          + " methods.", "NOT_FOUND", "", contentType);
    };
  }

  static WireResponse invalidArgument(String message, String contentType) {
    return error(400, message, "INVALID_ARGUMENT", "", contentType);
  }

  /** What Gemini answers a call without any key. */
  static WireResponse missingApiKey(String contentType) {
    return error(403, "Method doesn't allow unregistered callers (callers without established identity). Please use"
        + " API Key or other form of API consumer identity to call this API.", "PERMISSION_DENIED", "", contentType);
  }

  static WireResponse methodNotFound(String method) {
    return error(404, "Method not found: " + method, "NOT_FOUND", "", JSON);
  }

  private static WireResponse error(int code, String message, String status, String details, String contentType) {
    return new WireResponse(code, contentType, Map.of(), errorBody(code, message, status, details));
  }

  /** The {@code google.rpc.Status} envelope; {@code details} is "" or a pre-indented {@code ,"details": [...]}. */
  static String errorBody(int code, String message, String status, String details) {
    return "{\n  \"error\": {\n    \"code\": " + code + ",\n    \"message\": " + Json.quote(message)
        + ",\n    \"status\": " + Json.quote(status) + details + "\n  }\n}\n";
  }

  /** The error object Gemini puts inside a 200 stream: bare, pretty-printed, without a {@code data:} prefix. */
  static String midstreamError() {
    return errorBody(500, "An internal error has occurred. Please retry or report in"
        + " https://developers.generativeai.google/guide/troubleshooting", "INTERNAL", "");
  }

  static Map<String, String> streamHeaders() {
    return Map.of("Content-Type", EVENT_STREAM, "Content-Disposition", "attachment",
        "X-Content-Type-Options", "nosniff");
  }

  /** The non-stream {@code GenerateContentResponse}; {@code usage} false leaves {@code usageMetadata} out. */
  static String response(String text, Ending ending, long promptTokens, long candidatesTokens, boolean usage,
      String modelVersion, String responseId) {
    return "{\n  \"candidates\": [\n    {\n      \"content\": {\n        \"parts\": [\n          {\n"
        + "            \"text\": " + Json.quote(text) + "\n          }\n        ],\n        \"role\": \"model\"\n"
        + "      },\n      \"finishReason\": " + Json.quote(finishReason(ending)) + ",\n      \"index\": 0"
        + (ending == Ending.CONTENT_FILTER ? ",\n      \"safetyRatings\": " + SAFETY_RATINGS : "")
        + "\n    }\n  ],\n"
        + (usage ? "  \"usageMetadata\": {\n    \"promptTokenCount\": " + promptTokens
            + ",\n    \"candidatesTokenCount\": " + candidatesTokens
            + ",\n    \"totalTokenCount\": " + (promptTokens + candidatesTokens)
            + ",\n    \"promptTokensDetails\": [\n      {\n        \"modality\": \"TEXT\",\n        \"tokenCount\": "
            + promptTokens + "\n      }\n    ]\n  },\n" : "")
        + "  \"modelVersion\": " + Json.quote(modelVersion) + ",\n  \"responseId\": " + Json.quote(responseId) + "\n}\n";
  }

  /**
   * The SSE events of one stream. Intermediate chunks carry a partial {@code usageMetadata} (prompt and total
   * only), as Gemini's do: only the last chunk's usage counts, and it must never be summed.
   */
  static final class Chunks {

    private final long promptTokens;
    private final boolean usage;
    private final String tail;

    /** @param usage whether any chunk carries {@code usageMetadata} ({@code sim-no-usage}: none) */
    Chunks(String modelVersion, String responseId, long promptTokens, boolean usage) {
      this.promptTokens = promptTokens;
      this.usage = usage;
      this.tail = ",\"modelVersion\": " + Json.quote(modelVersion) + ",\"responseId\": " + Json.quote(responseId) + "}"
          + EVENT_END;
    }

    String content(String text) {
      return "data: {\"candidates\": [{" + content0(text) + ",\"index\": 0}]"
          + (usage ? ",\"usageMetadata\": {\"promptTokenCount\": " + promptTokens + ",\"totalTokenCount\": "
              + promptTokens + "}" : "")
          + tail;
    }

    /** The last content chunk of a finished answer: its text, the finish reason and the final usage. */
    String last(String text, Ending ending, long candidatesTokens) {
      return "data: {\"candidates\": [{" + content0(text) + ",\"finishReason\": " + Json.quote(finishReason(ending))
          + ",\"index\": 0}]" + finalUsage(candidatesTokens) + tail;
    }

    /** A blocked output: a chunk without content, finishReason SAFETY (fixture gemini-stream-safety-block.sse). */
    String safety(long candidatesTokens) {
      return "data: {\"candidates\": [{\"finishReason\": \"SAFETY\",\"index\": 0,\"safetyRatings\": " + SAFETY_RATINGS
          + "}]" + finalUsage(candidatesTokens) + tail;
    }

    boolean reportsUsage() {
      return usage;
    }

    private String finalUsage(long candidatesTokens) {
      return usage ? ",\"usageMetadata\": {\"promptTokenCount\": " + promptTokens + ",\"candidatesTokenCount\": "
          + candidatesTokens + ",\"totalTokenCount\": " + (promptTokens + candidatesTokens)
          + ",\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": " + promptTokens + "}]}" : "";
    }

    private static String content0(String text) {
      return "\"content\": {\"parts\": [{\"text\": " + Json.quote(text) + "}],\"role\": \"model\"}";
    }
  }
}
