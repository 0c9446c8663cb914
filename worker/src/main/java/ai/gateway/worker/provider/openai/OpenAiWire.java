package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.ProviderRequest;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * Chat Completions wire types: only the fields the adapter acts on. Unknown fields (obfuscation, logprobs,
 * system_fingerprint, usage details, ...) are ignored, so new provider fields never break decoding; every
 * field is nullable because OpenAI-compatible servers omit what OpenAI sends.
 */
final class OpenAiWire {

  static final JsonMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
      .build();

  private OpenAiWire() {
  }

  record ChatRequest(String model, List<Message> messages, int maxTokens, double temperature, boolean stream,
      StreamOptions streamOptions) {
  }

  record Message(String role, String content) {
  }

  record StreamOptions(boolean includeUsage) {
  }

  /** A stream chunk, a non-stream completion, the final usage chunk, or an error frame: one shape for all. */
  record Chunk(@Nullable String model, @Nullable List<Choice> choices, @Nullable Usage usage,
      @Nullable ErrorBody error) {
  }

  /** {@code delta} in a stream, {@code message} in a non-stream completion. */
  record Choice(@Nullable Integer index, @Nullable Delta delta, @Nullable Delta message,
      @Nullable String finishReason) {
  }

  record Delta(@Nullable String content, @Nullable String refusal) {
  }

  record Usage(@Nullable Long promptTokens, @Nullable Long completionTokens, @Nullable Long totalTokens) {
  }

  /** {@code {"error": {...}}}: the envelope of every OpenAI error body and of an error frame in a stream. */
  record ErrorEnvelope(@Nullable ErrorBody error) {
  }

  /** {@code code} is a string for OpenAI, a number for some compatible servers: kept as text. */
  record ErrorBody(@Nullable String message, @Nullable String type, @Nullable String param, @Nullable String code) {
  }

  static ChatRequest toChatRequest(ProviderRequest request) {
    List<Message> messages = new ArrayList<>(2);
    if (request.systemPrompt() != null && !request.systemPrompt().isEmpty()) {
      messages.add(new Message("system", request.systemPrompt()));
    }
    messages.add(new Message("user", request.prompt()));
    // max_tokens rather than max_completion_tokens: OpenAI-compatible servers (vLLM, Ollama, llama.cpp)
    // understand only the former; OpenAI accepts it for every non-reasoning model.
    return new ChatRequest(request.model(), messages, request.maxTokens(), request.temperature(), true,
        new StreamOptions(true));
  }
}
