package ai.gateway.worker.provider.gemini;

import ai.gateway.worker.provider.ProviderRequest;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code generateContent} wire types (camelCase on the wire): only the fields the adapter acts on; unknown
 * fields (safety ratings, token details, thought signatures, ...) are ignored.
 */
final class GeminiWire {

  static final JsonMapper MAPPER = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
      .build();

  private GeminiWire() {
  }

  record GenerateRequest(List<Content> contents, @Nullable Content systemInstruction,
      GenerationConfig generationConfig) {
  }

  /** {@code role} is {@code user} or {@code model}; absent in {@code systemInstruction}. */
  record Content(@Nullable String role, List<Part> parts) {
  }

  record Part(String text) {
  }

  record GenerationConfig(int maxOutputTokens, double temperature) {
  }

  /** One stream chunk, a whole non-stream answer, or an error (a bare {@code {"error": ...}}): one shape. */
  record Response(@Nullable List<Candidate> candidates, @Nullable PromptFeedback promptFeedback,
      @Nullable UsageMetadata usageMetadata, @Nullable String modelVersion, @Nullable ErrorBody error) {
  }

  record Candidate(@Nullable ResponseContent content, @Nullable String finishReason, @Nullable Integer index) {
  }

  record ResponseContent(@Nullable List<ResponsePart> parts) {
  }

  /** {@code thought: true} marks reasoning, not answer text. */
  record ResponsePart(@Nullable String text, @Nullable Boolean thought) {
  }

  record PromptFeedback(@Nullable String blockReason) {
  }

  /** Billed output is candidates plus thoughts; total = prompt + candidates + tool-use prompt + thoughts. */
  record UsageMetadata(@Nullable Long promptTokenCount, @Nullable Long candidatesTokenCount,
      @Nullable Long thoughtsTokenCount, @Nullable Long toolUsePromptTokenCount, @Nullable Long totalTokenCount) {
  }

  /** The {@code google.rpc.Status} envelope's content: {@code code} is the HTTP status. */
  record ErrorBody(@Nullable Integer code, @Nullable String message, @Nullable String status,
      @Nullable List<Detail> details) {
  }

  /** {@code ErrorInfo} carries {@code reason}, {@code RetryInfo} carries {@code retryDelay} ("26s"). */
  record Detail(@JsonProperty("@type") @Nullable String type, @Nullable String reason, @Nullable String retryDelay) {
  }

  /** A bare error object, as some error bodies and the SDKs' in-stream checks see it. */
  record ErrorEnvelope(@Nullable ErrorBody error) {
  }

  static GenerateRequest toGenerateRequest(ProviderRequest request) {
    Content system = request.systemPrompt() == null || request.systemPrompt().isEmpty()
        ? null
        : new Content(null, List.of(new Part(request.systemPrompt())));
    return new GenerateRequest(List.of(new Content("user", List.of(new Part(request.prompt())))), system,
        new GenerationConfig(request.maxTokens(), request.temperature()));
  }
}
