package ai.gateway.worker.provider.anthropic;

import ai.gateway.worker.provider.ProviderRequest;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * Messages API wire types: only the fields the adapter acts on. Unknown fields and event types (new ones
 * "may be added", the docs say) are ignored; every field is nullable because frames of different types
 * share one shape here.
 */
final class AnthropicWire {

  static final JsonMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
      .build();

  /** Anthropic accepts 0..1 (above: 400), OpenAI 0..2. */
  static final double MAX_TEMPERATURE = 1.0;

  private AnthropicWire() {
  }

  record MessagesRequest(String model, int maxTokens, List<InputMessage> messages, @Nullable String system,
      double temperature, boolean stream) {
  }

  record InputMessage(String role, String content) {
  }

  /**
   * One stream frame ({@code message_start}, {@code content_block_delta}, {@code message_delta},
   * {@code error}, ...), a whole non-stream message (type {@code message}), or an error body: one shape.
   * Cloudflare's 413 body has only {@code error}.
   */
  record Frame(@Nullable String type, @Nullable Message message, @Nullable Delta delta, @Nullable Usage usage,
      @Nullable ErrorBody error, @Nullable String model, @Nullable List<ContentBlock> content,
      @Nullable String stopReason) {
  }

  /** {@code message_start}'s message. */
  record Message(@Nullable String model, @Nullable Usage usage) {
  }

  /** {@code content_block_delta}'s delta (type {@code text_delta} + text) or {@code message_delta}'s. */
  record Delta(@Nullable String type, @Nullable String text, @Nullable String stopReason) {
  }

  record ContentBlock(@Nullable String type, @Nullable String text) {
  }

  /** Cumulative counts: a later frame's values replace earlier ones. */
  record Usage(@Nullable Long inputTokens, @Nullable Long outputTokens) {
  }

  record ErrorBody(@Nullable String type, @Nullable String message) {
  }

  static MessagesRequest toMessagesRequest(ProviderRequest request) {
    String system = request.systemPrompt() == null || request.systemPrompt().isEmpty() ? null : request.systemPrompt();
    // a job that names no provider may fall back here with an OpenAI-range temperature: clamp rather than
    // turn a valid request into a 400
    double temperature = Math.min(MAX_TEMPERATURE, Math.max(0, request.temperature()));
    return new MessagesRequest(request.model(), request.maxTokens(),
        List.of(new InputMessage("user", request.prompt())), system, temperature, true);
  }
}
