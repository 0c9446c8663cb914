package ai.gateway.simulator;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One call the simulator received, as seen from the provider's side. Never holds the API key.
 *
 * @param callId simulator-assigned id, unique per simulator ({@code sim-1}, {@code sim-2}, ...)
 * @param provider wire format of the call: {@code openai}, {@code anthropic} or {@code gemini}
 * @param model the requested model, {@code ""} if the request had none
 * @param scenario {@code normal}, the reserved model name ({@code sim-error-429}, {@code sim-tokens-7}, ...),
 *     {@code unknown-model}, {@code invalid-request}, {@code invalid-api-key}, {@code missing-api-key} (Anthropic,
 *     Gemini) or {@code key-in-url} (Gemini)
 * @param httpStatus the status the simulator sent, {@code 0} if it sent none (silent, aborted before the
 *     headers, truncated non-stream)
 * @param clientRequestId the {@code X-Client-Request-Id} request header
 * @param promptTokens prompt tokens reported (or that would have been reported); {@code 0} for calls
 *     rejected before generation
 * @param completionTokens content tokens sent to the caller (one per streamed content chunk)
 * @param usageReported whether the final usage was sent to the caller (OpenAI: the usage chunk or field;
 *     Anthropic: {@code message_delta.usage} or the body's {@code usage}, not {@code message_start}'s initial
 *     one; Gemini: the last chunk's full {@code usageMetadata}, not the partial one of earlier chunks)
 * @param content the text sent to the caller before the call ended
 * @param finishedAt when the simulator handed the last frame of its response to the network (for
 *     {@code sim-truncated}: when it closed the connection); set before the caller can have read the end of
 *     the response; {@code null} while running or when the caller aborted first
 * @param aborted the caller closed the connection before the response was complete
 * @param authorized the provider's key header was present and non-empty (OpenAI {@code Authorization: Bearer},
 *     Anthropic {@code x-api-key}, Gemini {@code x-goog-api-key})
 */
public record LedgerEntry(String callId, String provider, String model, String scenario, boolean stream,
    int httpStatus, @Nullable String clientRequestId, long promptTokens, long completionTokens,
    boolean usageReported, String content, Instant startedAt, @Nullable Instant finishedAt,
    boolean aborted, @Nullable Instant abortedAt, boolean authorized) {

  /** Finished or aborted: nothing about this entry changes any more. */
  public boolean ended() {
    return finishedAt != null || aborted;
  }
}
