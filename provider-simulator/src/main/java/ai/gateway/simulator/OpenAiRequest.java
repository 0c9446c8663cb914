package ai.gateway.simulator;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The parts of a Chat Completions request the simulator acts on. Validation follows OpenAI's own 400s
 * (messages, parameter names and codes), so an adapter's error mapping can be tested against it.
 */
record OpenAiRequest(String model, Prompt prompt, boolean stream, boolean includeUsage, @Nullable Integer maxTokens) {

  static OpenAiRequest parse(String body) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (JacksonException e) {
      root = null;
    }
    if (root == null || !root.isObject()) {
      throw new InvalidRequestException("We could not parse the JSON body of your request. (HINT: This likely means"
          + " you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent"
          + " was not valid JSON.)", null, null);
    }
    JsonNode model = root.path("model");
    if (!model.isString() || model.stringValue().isEmpty()) {
      throw new InvalidRequestException("you must provide a model parameter", null, null);
    }
    boolean stream = root.path("stream").asBoolean(false);
    JsonNode streamOptions = root.path("stream_options");
    if (!streamOptions.isMissingNode() && !streamOptions.isNull() && !stream) {
      throw new InvalidRequestException("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
          "stream_options", null);
    }
    boolean includeUsage = streamOptions.path("include_usage").asBoolean(false);
    Integer maxTokens = maxTokens(root, "max_completion_tokens");
    if (maxTokens == null) {
      maxTokens = maxTokens(root, "max_tokens");
    }
    checkTemperature(root.path("temperature"));
    return new OpenAiRequest(model.stringValue(), Prompt.of(contents(root.path("messages"))), stream, includeUsage,
        maxTokens);
  }

  /** Message contents: a string, or an array of content parts whose {@code text} counts. */
  private static List<String> contents(JsonNode messages) {
    if (messages.isMissingNode() || messages.isNull()) {
      throw new InvalidRequestException("Missing required parameter: 'messages'.", "messages",
          "missing_required_parameter");
    }
    if (!messages.isArray()) {
      throw new InvalidRequestException("Invalid type for 'messages': expected an array, but got "
          + messages.getNodeType().name().toLowerCase() + " instead.", "messages", "invalid_type");
    }
    if (messages.isEmpty()) {
      throw new InvalidRequestException("Invalid 'messages': empty array. Expected an array with minimum length 1,"
          + " but got an empty array instead.", "messages", "empty_array");
    }
    List<String> contents = new ArrayList<>();
    for (JsonNode message : messages) {
      JsonNode content = message.path("content");
      if (content.isString()) {
        contents.add(content.stringValue());
      } else if (content.isArray()) {
        for (JsonNode part : content) {
          if (part.path("text").isString()) {
            contents.add(part.path("text").stringValue());
          }
        }
      }
    }
    return contents;
  }

  private static @Nullable Integer maxTokens(JsonNode root, String name) {
    JsonNode value = root.path(name);
    if (value.isMissingNode() || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new InvalidRequestException("Invalid type for '" + name + "': expected an integer, but got "
          + value.getNodeType().name().toLowerCase() + " instead.", name, "invalid_type");
    }
    if (value.intValue() < 1) {
      throw new InvalidRequestException("Invalid '" + name + "': integer below minimum value. Expected a value >= 1,"
          + " but got " + value.intValue() + " instead.", name, "integer_below_min_value");
    }
    return value.intValue();
  }

  private static void checkTemperature(JsonNode temperature) {
    if (temperature.isMissingNode() || temperature.isNull()) {
      return;
    }
    if (!temperature.isNumber()) {
      throw new InvalidRequestException("Invalid type for 'temperature': expected a decimal, but got "
          + temperature.getNodeType().name().toLowerCase() + " instead.", "temperature", "invalid_type");
    }
    double value = temperature.doubleValue();
    if (value < 0) {
      throw new InvalidRequestException("Invalid 'temperature': decimal below minimum value. Expected a value >= 0,"
          + " but got " + value + " instead.", "temperature", "decimal_below_min_value");
    }
    if (value > 2) {
      throw new InvalidRequestException("Invalid 'temperature': decimal above maximum value. Expected a value <= 2,"
          + " but got " + value + " instead.", "temperature", "decimal_above_max_value");
    }
  }
}
