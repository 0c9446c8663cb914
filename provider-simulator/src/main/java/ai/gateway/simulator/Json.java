package ai.gateway.simulator;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** The one JSON mapper: Jackson 3 writes {@code Instant}s as ISO-8601 strings by default. */
final class Json {

  static final ObjectMapper MAPPER = JsonMapper.builder().build();

  private Json() {}

  /** {@code text} as a JSON string literal, quotes and escapes included. */
  static String quote(String text) {
    return MAPPER.writeValueAsString(text);
  }

  static String quoteOrNull(@Nullable String text) {
    return text == null ? "null" : quote(text);
  }

  static String write(Object value) {
    return MAPPER.writeValueAsString(value);
  }
}
