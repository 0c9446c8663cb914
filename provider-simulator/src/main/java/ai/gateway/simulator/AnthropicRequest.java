package ai.gateway.simulator;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The parts of a Messages request the simulator acts on. Validation follows Anthropic's 400
 * {@code invalid_request_error}s, whose messages name the field first ({@code max_tokens: Field required}).
 * The system prompt counts towards the prompt before the messages, as an OpenAI system message does, so the
 * same system prompt and prompt get the same answer and token counts from every wire format.
 */
record AnthropicRequest(String model, Prompt prompt, boolean stream, int maxTokens) {

  static AnthropicRequest parse(String body) {
    JsonNode root = tree(body);
    if (root == null) {
      throw invalid("There was an error parsing the body of your request. Please make sure it is valid JSON.");
    }
    String model = model(root);
    if (!root.has("model") || root.path("model").isNull()) {
      throw invalid("model: Field required");
    }
    if (!root.path("model").isString()) {
      throw invalid("model: Input should be a valid string");
    }
    if (model.isEmpty()) {
      throw invalid("model: String should have at least 1 character");
    }
    int maxTokens = maxTokens(root.path("max_tokens"));
    checkTemperature(root.path("temperature"));
    JsonNode stream = root.path("stream");
    if (!stream.isMissingNode() && !stream.isNull() && !stream.isBoolean()) {
      throw invalid("stream: Input should be a valid boolean");
    }
    List<String> contents = new ArrayList<>(system(root.path("system")));
    contents.addAll(messages(root.path("messages")));
    return new AnthropicRequest(model, Prompt.of(contents), stream(root), maxTokens);
  }

  /** The body as a JSON object, or null: the ledger still wants the model of a request that fails validation. */
  static @Nullable JsonNode tree(String body) {
    try {
      JsonNode root = Json.MAPPER.readTree(body);
      return root != null && root.isObject() ? root : null;
    } catch (JacksonException e) {
      return null;
    }
  }

  static String model(@Nullable JsonNode root) {
    return root != null && root.path("model").isString() ? root.path("model").stringValue() : "";
  }

  static boolean stream(@Nullable JsonNode root) {
    return root != null && root.path("stream").asBoolean(false);
  }

  private static int maxTokens(JsonNode value) {
    if (value.isMissingNode() || value.isNull()) {
      throw invalid("max_tokens: Field required");
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw invalid("max_tokens: Input should be a valid integer");
    }
    if (value.intValue() < 1) {
      throw invalid("max_tokens: Input should be greater than or equal to 1");
    }
    return value.intValue();
  }

  /** Anthropic accepts 0..1, where OpenAI accepts 0..2: a gateway must not pass 1.5 through unchanged. */
  private static void checkTemperature(JsonNode temperature) {
    if (temperature.isMissingNode() || temperature.isNull()) {
      return;
    }
    if (!temperature.isNumber()) {
      throw invalid("temperature: Input should be a valid number");
    }
    double value = temperature.doubleValue();
    if (value < 0 || value > 1) {
      throw invalid("temperature: range: 0..1");
    }
  }

  /** {@code system}: a string, or an array of text blocks. */
  private static List<String> system(JsonNode system) {
    if (system.isMissingNode() || system.isNull()) {
      return List.of();
    }
    if (system.isString()) {
      return List.of(system.stringValue());
    }
    if (!system.isArray()) {
      throw invalid("system: Input should be a valid list");
    }
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < system.size(); i++) {
      JsonNode block = system.get(i);
      if (!"text".equals(block.path("type").asString("")) || !block.path("text").isString()) {
        throw invalid("system." + i + ": Input should be a valid text block");
      }
      texts.add(block.path("text").stringValue());
    }
    return texts;
  }

  /** Message contents: a string, or an array of content blocks whose {@code text} counts. */
  private static List<String> messages(JsonNode messages) {
    if (messages.isMissingNode() || messages.isNull()) {
      throw invalid("messages: Field required");
    }
    if (!messages.isArray()) {
      throw invalid("messages: Input should be a valid list");
    }
    if (messages.isEmpty()) {
      throw invalid("messages: at least one message is required");
    }
    List<String> contents = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      String role = message.path("role").asString("");
      if (!role.equals("user") && !role.equals("assistant")) {
        throw invalid("messages." + i + ".role: Input should be 'user' or 'assistant'");
      }
      JsonNode content = message.path("content");
      if (content.isString()) {
        contents.add(content.stringValue());
      } else if (content.isArray()) {
        for (JsonNode block : content) {
          if (block.path("text").isString()) {
            contents.add(block.path("text").stringValue());
          }
        }
      } else {
        throw invalid("messages." + i + ".content: Field required");
      }
    }
    return contents;
  }

  private static InvalidRequestException invalid(String message) {
    return new InvalidRequestException(message, null, null);
  }
}
