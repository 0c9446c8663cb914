package ai.gateway.api.config;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.core.exc.UnexpectedEndOfInputException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * Reads request bodies strictly: exactly one JSON value in UTF-8 without a byte order mark, no unknown
 * or duplicate fields, no coercion between types ({@code "100"} is not an integer, {@code 1e3} and
 * {@code 1.5} are not integers, {@code 123} is not a string), bounded nesting. Lenient parsing is how a
 * field like {@code api_base} or a second {@code prompt} slips past one parser and reaches another.
 *
 * <p>Errors name the field and say what is wrong in the gateway's own words: Jackson's messages quote the
 * input and are never passed on.
 */
public final class StrictJson {

  private static final int MAX_NESTING = 32;
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_$-]{1,64}");

  private final JsonMapper mapper;

  public StrictJson() {
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    this.mapper = JsonMapper.builder(factory)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        // ALLOW_COERCION_OF_SCALARS does not cover strings: without these 123 or true would bind as "123"/"true".
        .withCoercionConfig(LogicalType.Textual, config -> config
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .withCoercionConfig(LogicalType.Integer, config -> config
            .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .withCoercionConfig(LogicalType.Float, config -> config
            .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .withCoercionConfig(LogicalType.Boolean, config -> config
            .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail))
        .build();
  }

  /**
   * Reads a request's whole body, at most {@code maxBytes} (the read stops there), and binds it.
   * Errors are {@link ApiException}s: 413 over the cap, 415 for a charset other than UTF-8, 400 otherwise.
   */
  public <T> Mono<T> read(ServerHttpRequest request, Class<T> type, long maxBytes) {
    MediaType contentType = request.getHeaders().getContentType();
    if (contentType != null && !isUtf8(contentType)) {
      return Mono.error(ApiError.of(ErrorCode.INVALID_REQUEST, "Only UTF-8 JSON is accepted.").withStatus(415).exception());
    }
    int cap = (int) Math.min(Integer.MAX_VALUE, maxBytes);
    return DataBufferUtils.join(request.getBody(), cap)
        .onErrorMap(DataBufferLimitException.class, e -> ApiError.of(ErrorCode.INVALID_REQUEST,
            "The request body exceeds the limit of " + maxBytes + " bytes.").withStatus(413).exception())
        .map(StrictJson::bytes)
        .switchIfEmpty(Mono.error(() -> ApiError.of(ErrorCode.INVALID_REQUEST, "A JSON request body is required.").exception()))
        .map(body -> parse(body, type));
  }

  /** Binds one JSON document; see the class comment for what is refused. */
  public <T> T parse(byte[] body, Class<T> type) {
    String text = decodeUtf8(body);
    if (text.isBlank()) {
      throw ApiError.of(ErrorCode.INVALID_REQUEST, "A JSON request body is required.").exception();
    }
    T value;
    try {
      value = mapper.readValue(text, type);
    } catch (JacksonException e) {
      throw translate(e).exception();
    }
    if (value == null) {
      throw ApiError.of(ErrorCode.INVALID_REQUEST, "The request body must be a JSON object.").exception();
    }
    return value;
  }

  private static String decodeUtf8(byte[] body) {
    // Jackson would skip a BOM and guess UTF-16/32 from zero bytes; a gateway in front of other parsers must not guess.
    if (body.length >= 3 && (body[0] & 0xFF) == 0xEF && (body[1] & 0xFF) == 0xBB && (body[2] & 0xFF) == 0xBF) {
      throw ApiError.of(ErrorCode.INVALID_REQUEST, "The request body must not start with a byte order mark.").exception();
    }
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw ApiError.of(ErrorCode.INVALID_REQUEST, "The request body is not valid UTF-8.").exception();
    }
  }

  private static ApiError translate(JacksonException e) {
    String field = path(e);
    if (e instanceof UnrecognizedPropertyException) {
      return ApiError.invalidField(field, "is not a known field");
    }
    if (e instanceof MismatchedInputException mismatch) {
      if (field.isEmpty()) {
        return ApiError.of(ErrorCode.INVALID_REQUEST, "The request body must be a JSON object.");
      }
      return ApiError.invalidField(field, expected(mismatch.getTargetType()));
    }
    if (e instanceof InputCoercionException) {
      return field.isEmpty() ? ApiError.of(ErrorCode.INVALID_REQUEST, "A number is out of range.")
          : ApiError.invalidField(field, "is out of range");
    }
    if (e instanceof StreamConstraintsException) {
      return ApiError.of(ErrorCode.INVALID_REQUEST, "The JSON document is nested too deeply or holds a value that is too long.");
    }
    if (e instanceof UnexpectedEndOfInputException) {
      return ApiError.of(ErrorCode.INVALID_REQUEST, "The JSON document ends too early.");
    }
    if (e instanceof StreamReadException read && read.getOriginalMessage() != null
        && read.getOriginalMessage().startsWith("Duplicate")) {
      return ApiError.of(ErrorCode.INVALID_REQUEST, "The JSON document has a duplicate field" + at(e) + ".");
    }
    if (!field.isEmpty()) {
      return ApiError.invalidField(field, "has an invalid value");
    }
    return ApiError.of(ErrorCode.INVALID_REQUEST, "Malformed JSON" + at(e) + ".");
  }

  private static String expected(Class<?> target) {
    if (target == null) {
      return "has the wrong type";
    }
    if (target == String.class) {
      return "must be a string";
    }
    if (target == Integer.class || target == int.class || target == Long.class || target == long.class) {
      return "must be an integer";
    }
    if (target == Double.class || target == double.class || target == Float.class || target == float.class) {
      return "must be a number";
    }
    if (target == Boolean.class || target == boolean.class) {
      return "must be a boolean";
    }
    if (List.class.isAssignableFrom(target)) {
      return "must be an array";
    }
    return "must be an object";
  }

  /** The JSON path of the failure; names a caller invented are shown only when they are plain identifiers. */
  private static String path(JacksonException e) {
    StringBuilder path = new StringBuilder();
    for (JacksonException.Reference reference : e.getPath()) {
      String name = reference.getPropertyName();
      if (name != null) {
        if (!path.isEmpty()) {
          path.append('.');
        }
        path.append(SAFE_NAME.matcher(name).matches() ? name : "(unprintable name)");
      } else if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  private static String at(JacksonException e) {
    TokenStreamLocation location = e.getLocation();
    if (location == null || location.getLineNr() < 1) {
      return "";
    }
    return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static boolean isUtf8(MediaType contentType) {
    try {
      return contentType.getCharset() == null || StandardCharsets.UTF_8.equals(contentType.getCharset());
    } catch (RuntimeException unsupportedCharset) {
      return false;
    }
  }

  private static byte[] bytes(DataBuffer buffer) {
    try {
      byte[] bytes = new byte[buffer.readableByteCount()];
      buffer.read(bytes);
      return bytes;
    } finally {
      DataBufferUtils.release(buffer);
    }
  }
}
