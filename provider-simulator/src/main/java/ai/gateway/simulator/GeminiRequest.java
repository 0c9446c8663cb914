package ai.gateway.simulator;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The parts of a generateContent body the simulator acts on: {@code contents}, {@code systemInstruction} and
 * {@code generationConfig.{maxOutputTokens, temperature}}. The model and the stream flag come from the URL.
 * The system instruction counts towards the prompt before the contents, as an OpenAI system message does.
 */
record GeminiRequest(Prompt prompt, @Nullable Integer maxOutputTokens) {

  static GeminiRequest parse(String body) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (JacksonException e) {
      root = null;
    }
    if (root == null || !root.isObject()) {
      throw invalid("Invalid JSON payload received. Unexpected token.");
    }
    JsonNode config = root.path("generationConfig");
    Integer maxOutputTokens = maxOutputTokens(config.path("maxOutputTokens"));
    checkTemperature(config.path("temperature"));
    List<String> texts = new ArrayList<>(systemInstruction(root.path("systemInstruction")));
    texts.addAll(contents(root.path("contents")));
    return new GeminiRequest(Prompt.of(texts), maxOutputTokens);
  }

  private static List<String> contents(JsonNode contents) {
    if (contents.isMissingNode() || contents.isNull() || (contents.isArray() && contents.isEmpty())) {
      throw invalid("* GenerateContentRequest.contents: contents is not specified\n");
    }
    if (!contents.isArray()) {
      throw invalid("Invalid JSON payload received. Unknown name \"contents\": Proto field is not repeating, cannot"
          + " start list.");
    }
    List<String> texts = new ArrayList<>();
    for (JsonNode content : contents) {
      JsonNode role = content.path("role");
      if (!role.isMissingNode() && !role.asString("").equals("user") && !role.asString("").equals("model")) {
        throw invalid("Please use a valid role: user, model.");
      }
      texts.addAll(parts(content.path("parts")));
    }
    return texts;
  }

  private static List<String> systemInstruction(JsonNode instruction) {
    if (instruction.isMissingNode() || instruction.isNull()) {
      return List.of();
    }
    return parts(instruction.path("parts"));
  }

  private static List<String> parts(JsonNode parts) {
    if (!parts.isArray() || parts.isEmpty()) {
      throw invalid("* GenerateContentRequest.contents.parts: contents.parts must not be empty.\n");
    }
    List<String> texts = new ArrayList<>();
    for (JsonNode part : parts) {
      if (part.path("text").isString()) {
        texts.add(part.path("text").stringValue());
      }
    }
    return texts;
  }

  private static @Nullable Integer maxOutputTokens(JsonNode value) {
    if (value.isMissingNode() || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw invalid("Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32), " + value);
    }
    if (value.intValue() < 1) {
      throw invalid("Unable to submit request because it has a maxOutputTokens value of " + value.intValue()
          + " but the supported range is from 1 (inclusive) to 65537 (exclusive). Update the value and try again.");
    }
    return value.intValue();
  }

  private static void checkTemperature(JsonNode temperature) {
    if (temperature.isMissingNode() || temperature.isNull()) {
      return;
    }
    if (!temperature.isNumber()) {
      throw invalid("Invalid value at 'generation_config.temperature' (TYPE_FLOAT), " + temperature);
    }
    double value = temperature.doubleValue();
    if (value < 0 || value > 2) {
      throw invalid("Unable to submit request because it has a temperature value of " + value + " but the supported"
          + " range is from 0 (inclusive) to 2.0001 (exclusive). Update the value and try again.");
    }
  }

  private static InvalidRequestException invalid(String message) {
    return new InvalidRequestException(message, null, null);
  }
}
