package ai.gateway.api.batches;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

import ai.gateway.api.config.StrictJson;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.FieldViolation;
import ai.gateway.api.generate.GenerateRequest;
import ai.gateway.api.generate.GenerateRequestValidator;
import ai.gateway.api.generate.GenerationParams;
import ai.gateway.api.jobs.CallbackUrls;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a batch body as a stream, one request at a time, and hands each valid one on; the first invalid request,
 * duplicate {@code custom_id} or request past the limit throws an {@link ApiException} naming its line (NDJSON) or
 * item (JSON), and the read stops there. Memory is bounded by one request ({@code maxItemBytes}) plus the set of
 * {@code custom_id}s seen.
 *
 * <p>Each request is bound by the gateway's {@link StrictJson} and checked by the generate request's own
 * {@link GenerateRequestValidator}, so a batch item is refused exactly where a single request would be.
 */
final class BatchReader {

  static final int MAX_CUSTOM_ID_LENGTH = 256;
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_$-]{1,64}");
  private static final int MAX_NESTING = 32;

  /** One request of a batch as sent; {@code method} and {@code url} (OpenAI's batch lines) are accepted and ignored. */
  record Line(@JsonProperty("custom_id") @Nullable String customId, @Nullable GenerateRequest body,
              @Nullable String method, @Nullable String url) {
  }

  /** A valid request: its 1-based position in the body, its id and its parameters. */
  record Item(int number, String customId, GenerationParams params) {
  }

  @FunctionalInterface
  interface ItemSink {
    void accept(Item item);
  }

  /** What the body held besides its items. */
  record Parsed(int count, @Nullable String callbackUrl) {
  }

  private final Set<String> allowedHosts;
  private final StrictJson strictJson;
  private final GenerateRequestValidator validator;
  private final JsonMapper streaming;
  private final int maxItems;
  private final int maxItemBytes;

  BatchReader(StrictJson strictJson, GenerateRequestValidator validator, int maxItems, int maxItemBytes,
              Set<String> allowedHosts) {
    this.allowedHosts = allowedHosts;
    this.strictJson = strictJson;
    this.validator = validator;
    this.maxItems = maxItems;
    this.maxItemBytes = maxItemBytes;
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).maxStringLength(maxItemBytes).build())
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    // Each element is read out of the middle of the stream: what follows it is the next element, not trailing junk.
    this.streaming = JsonMapper.builder(factory).disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
  }

  /** {@code application/x-ndjson}: one {@code {"custom_id","body"}} per line; blank lines are skipped. */
  Parsed readNdjson(InputStream in, ItemSink sink) throws IOException {
    Set<String> seen = new HashSet<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int lineNumber = 0;
    int count = 0;
    byte[] buffer = new byte[64 * 1024];
    int read;
    while ((read = in.read(buffer)) >= 0) {
      int start = 0;
      for (int i = 0; i < read; i++) {
        if (buffer[i] == '\n') {
          append(line, buffer, start, i - start, lineNumber + 1);
          start = i + 1;
          lineNumber++;
          count = emit(line, lineNumber, count, seen, sink);
        }
      }
      append(line, buffer, start, read - start, lineNumber + 1);
    }
    if (line.size() > 0) {
      lineNumber++;
      count = emit(line, lineNumber, count, seen, sink);
    }
    return new Parsed(requireItems(count), null);
  }

  /** {@code application/json}: {@code {"requests":[{"custom_id","body"}…],"callbackUrl"?}}, streamed. */
  Parsed readJson(InputStream in, ItemSink sink) throws IOException {
    InputStreamReader reader = new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
    Set<String> seen = new HashSet<>();
    int count = 0;
    boolean sawRequests = false;
    String callbackUrl = null;
    try (JsonParser parser = streaming.createParser(reader)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw ApiError.of(ErrorCode.INVALID_REQUEST, "The request body must be a JSON object.").exception();
      }
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (name) {
          case "requests" -> {
            sawRequests = true;
            if (value != JsonToken.START_ARRAY) {
              throw ApiError.invalidField("requests", "must be an array").exception();
            }
            while (parser.nextToken() != JsonToken.END_ARRAY) {
              count++;
              String path = "requests[" + (count - 1) + "]";
              checkCount(count, "item " + count + ", " + path);
              long startOffset = parser.currentTokenLocation().getCharOffset();
              if (parser.currentToken() != JsonToken.START_OBJECT) {
                throw ApiError.invalidField(path, "must be an object").exception();
              }
              JsonNode node = streaming.readTree(parser);
              long size = parser.currentLocation().getCharOffset() - startOffset;
              if (size > maxItemBytes) {
                throw ApiError.of(ErrorCode.INVALID_REQUEST, "Item " + count + " (" + path + ") is larger than "
                    + maxItemBytes + " bytes.").withStatus(413).exception();
              }
              sink.accept(item(streaming.writeValueAsBytes(node), count, "Item " + count + " (" + path + ")", path + ".",
                  seen));
            }
          }
          case "callbackUrl" -> {
            if (value != JsonToken.VALUE_NULL) {
              if (value != JsonToken.VALUE_STRING) {
                throw ApiError.invalidField("callbackUrl", "must be a string").exception();
              }
              callbackUrl = parser.getString();
              String problem = CallbackUrls.problem(callbackUrl, allowedHosts);
              if (problem != null) {
                throw ApiError.invalidField("callbackUrl", problem).exception();
              }
            }
          }
          default -> throw ApiError.invalidField(SAFE_NAME.matcher(name).matches() ? name : "(unprintable name)",
              "is not a known field").exception();
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
        throw ApiError.of(ErrorCode.INVALID_REQUEST, "Malformed JSON" + at(parser.currentTokenLocation()) + ".").exception();
      }
    } catch (JacksonException e) {
      for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
        if (cause instanceof ApiException api) {
          throw api; // the body filter's 413
        }
        if (cause instanceof CharacterCodingException) {
          throw notUtf8();
        }
      }
      if (e instanceof tools.jackson.core.exc.JacksonIOException) {
        throw ApiError.of(ErrorCode.INVALID_REQUEST, "The request body could not be read.").exception(e);
      }
      throw ApiError.of(ErrorCode.INVALID_REQUEST, "Malformed JSON" + at(e.getLocation()) + ".").exception();
    }
    if (!sawRequests) {
      throw ApiError.invalidField("requests", "is required").exception();
    }
    return new Parsed(requireItems(count), callbackUrl);
  }

  private int emit(ByteArrayOutputStream line, int lineNumber, int count, Set<String> seen, ItemSink sink) {
    byte[] bytes = line.toByteArray();
    line.reset();
    if (isBlank(bytes)) {
      return count;
    }
    checkCount(count + 1, "line " + lineNumber);
    sink.accept(item(bytes, count + 1, "Line " + lineNumber, "line " + lineNumber + ": ", seen));
    return count + 1;
  }

  private Item item(byte[] json, int number, String where, String fieldPrefix, Set<String> seen) {
    try {
      Line line = strictJson.parse(json, Line.class);
      String customId = line.customId();
      if (customId == null) {
        throw ApiError.invalidField("custom_id", "is required").exception();
      }
      int length = customId.codePointCount(0, customId.length());
      if (length < 1 || length > MAX_CUSTOM_ID_LENGTH) {
        throw ApiError.invalidField("custom_id", "must have 1 to " + MAX_CUSTOM_ID_LENGTH + " characters").exception();
      }
      if (customId.codePoints().anyMatch(Character::isISOControl) || hasLoneSurrogate(customId)) {
        throw ApiError.invalidField("custom_id", "must not contain control characters or unpaired surrogates").exception();
      }
      if (line.body() == null) {
        throw ApiError.invalidField("body", "is required").exception();
      }
      GenerationParams params = validate(line.body());
      if (!seen.add(customId)) {
        throw ApiError.invalidField("custom_id", "is not unique within the batch").exception();
      }
      return new Item(number, customId, params);
    } catch (ApiException e) {
      ApiError error = e.error();
      String detail = where + ": " + error.detail();
      ApiError located = new ApiError(error.code(), error.status(), detail, error.retryable(), null, null,
          error.errors().stream().map(v -> new FieldViolation(fieldPrefix + v.field(), v.message())).toList(), false);
      throw located.exception(e);
    }
  }

  /** The generate request's own rules; its fields named as they are in the line, under {@code body}. */
  private GenerationParams validate(GenerateRequest body) {
    try {
      return validator.validate(body);
    } catch (ApiException e) {
      ApiError error = e.error();
      throw error.withErrors(error.errors().stream().map(v -> new FieldViolation("body." + v.field(), v.message())).toList())
          .exception(e);
    }
  }

  private void append(ByteArrayOutputStream line, byte[] buffer, int start, int length, int lineNumber) {
    if (line.size() + length > maxItemBytes) {
      throw ApiError.of(ErrorCode.INVALID_REQUEST, "Line " + lineNumber + " is longer than " + maxItemBytes + " bytes.")
          .withStatus(413).exception();
    }
    line.write(buffer, start, length);
  }

  private void checkCount(int count, String where) {
    if (count > maxItems) {
      throw ApiError.of(ErrorCode.INVALID_REQUEST, "A batch holds at most " + maxItems + " requests; "
          + where + " is one too many.").exception();
    }
  }

  private static int requireItems(int count) {
    if (count == 0) {
      throw ApiError.of(ErrorCode.INVALID_REQUEST, "A batch needs at least one request.").exception();
    }
    return count;
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  private static boolean hasLoneSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static ApiException notUtf8() {
    return ApiError.of(ErrorCode.INVALID_REQUEST, "The request body is not valid UTF-8.").exception();
  }

  private static String at(@Nullable TokenStreamLocation location) {
    if (location == null || location.getLineNr() < 1) {
      return "";
    }
    return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }
}
