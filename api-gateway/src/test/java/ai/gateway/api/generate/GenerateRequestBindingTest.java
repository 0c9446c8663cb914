package ai.gateway.api.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import ai.gateway.api.config.StrictJson;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.FieldViolation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GenerateRequestBindingTest {

  private final StrictJson json = new StrictJson();

  @Test
  void shouldBindAllFields() {
    // given
    String body = """
        {"prompt":"hi","systemPrompt":"be brief","provider":"openai","model":"gpt-4o-mini","maxTokens":100,"temperature":1}
        """;

    // when
    GenerateRequest request = parse(body);

    // then
    assertThat(request).isEqualTo(new GenerateRequest("hi", "be brief", "openai", "gpt-4o-mini", 100, 1.0));
  }

  @Test
  void shouldTreatNullOptionalFieldsAsAbsent() {
    assertThat(parse("{\"prompt\":\"hi\",\"maxTokens\":null,\"temperature\":null}"))
        .isEqualTo(new GenerateRequest("hi", null, null, null, null, null));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"prompt\":\"hi\",\"maxTokens\":\"100\"}         | maxTokens   | must be an integer",
      "{\"prompt\":\"hi\",\"maxTokens\":1e3}             | maxTokens   | must be an integer",
      "{\"prompt\":\"hi\",\"maxTokens\":1.5}             | maxTokens   | must be an integer",
      "{\"prompt\":\"hi\",\"maxTokens\":4096.0}          | maxTokens   | must be an integer",
      "{\"prompt\":\"hi\",\"maxTokens\":true}            | maxTokens   | must be an integer",
      "{\"prompt\":\"hi\",\"maxTokens\":\"\"}            | maxTokens   | must be an integer",
      "{\"prompt\":\"hi\",\"maxTokens\":[1]}             | maxTokens   | must be an integer",
      "{\"prompt\":123}                                  | prompt      | must be a string",
      "{\"prompt\":1.5}                                  | prompt      | must be a string",
      "{\"prompt\":true}                                 | prompt      | must be a string",
      "{\"prompt\":[\"hi\"]}                             | prompt      | must be a string",
      "{\"prompt\":{\"api_base\":\"http://evil\"}}       | prompt      | must be a string",
      "{\"prompt\":\"hi\",\"temperature\":\"0.5\"}       | temperature | must be a number",
      "{\"prompt\":\"hi\",\"temperature\":false}         | temperature | must be a number",
      "{\"prompt\":\"hi\",\"api_base\":\"http://evil\"}  | api_base    | is not a known field",
      "{\"prompt\":\"hi\",\"api_key\":\"sk-secret\"}     | api_key     | is not a known field",
      "{\"prompt\":\"hi\",\"stream\":\"yes\"}            | stream      | is not a known field",
      "{\"prompt\":\"hi\",\"headers\":{\"Authorization\":\"x\"}} | headers | is not a known field",
  })
  void shouldRejectWrongTypesAndUnknownFieldsNamingTheField(String body, String field, String message) {
    ApiError error = rejection(body);

    assertThat(error.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(error.status()).isEqualTo(400);
    assertThat(error.errors()).containsExactly(new FieldViolation(field, message));
    assertThat(error.detail()).doesNotContain("evil", "sk-secret", "yes");
  }

  @Test
  void shouldRejectIntegerOverflow() {
    ApiError error = rejection("{\"prompt\":\"hi\",\"maxTokens\":2147483648}");

    assertThat(error.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(error.errors()).extracting(FieldViolation::field).containsExactly("maxTokens");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"prompt\":\"hi\"",                       // truncated
      "{\"prompt\":\"hi\"} trailing",             // trailing garbage
      "{\"prompt\":\"hi\"}{\"prompt\":\"again\"}", // two documents
      "{'prompt':'hi'}",                          // not JSON
      "{\"prompt\":\"hi\",}",                     // trailing comma
      "{\"prompt\":\"a\",\"prompt\":\"b\"}",      // duplicate field: parsers disagree on which wins
      "[{\"prompt\":\"hi\"}]",                    // not an object
      "\"hi\"",
      "null",
      "",
      "   ",
      "{\"prompt\":NaN}",
  })
  void shouldRejectMalformedDocuments(String body) {
    ApiError error = rejection(body);

    assertThat(error.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(error.status()).isEqualTo(400);
    assertThat(error.detail()).doesNotContain("trailing", "again", "NaN");
  }

  @Test
  void shouldRejectByteOrderMark() {
    byte[] body = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, "{\"prompt\":\"hi\"}".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> json.parse(body, GenerateRequest.class))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error().detail()).contains("byte order mark"));
  }

  @Test
  void shouldRejectInvalidUtf8IncludingEncodedSurrogates() {
    byte[] invalidByte = concat("{\"prompt\":\"".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xFF, '"', '}'});
    byte[] cesuSurrogate = concat("{\"prompt\":\"".getBytes(StandardCharsets.UTF_8),
        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'});

    assertThatThrownBy(() -> json.parse(invalidByte, GenerateRequest.class)).isInstanceOf(ApiException.class);
    assertThatThrownBy(() -> json.parse(cesuSurrogate, GenerateRequest.class)).isInstanceOf(ApiException.class);
  }

  @Test
  void shouldRejectUtf16Documents() {
    byte[] body = "{\"prompt\":\"hi\"}".getBytes(StandardCharsets.UTF_16BE);

    assertThatThrownBy(() -> json.parse(body, GenerateRequest.class)).isInstanceOf(ApiException.class);
  }

  @Test
  void shouldRejectDeepNesting() {
    String body = "[".repeat(5_000) + "]".repeat(5_000);

    assertThat(rejection(body).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
  }

  @Test
  void shouldNotEchoUnprintableFieldNames() {
    ApiError error = rejection("{\"prompt\":\"hi\",\"<script>alert(1)</script>\":1}");

    assertThat(error.errors()).extracting(FieldViolation::field).containsExactly("(unprintable name)");
  }

  @Test
  void shouldKeepEscapedLoneSurrogatesForTheValidatorToReject() {
    // \uD800 is valid JSON syntax; the validator, not the parser, rejects the string it makes.
    assertThat(parse("{\"prompt\":\"a\\uD800b\"}").prompt()).isEqualTo("a\uD800b");
  }

  private GenerateRequest parse(String body) {
    return json.parse(body.getBytes(StandardCharsets.UTF_8), GenerateRequest.class);
  }

  private ApiError rejection(String body) {
    try {
      parse(body);
    } catch (ApiException e) {
      return e.error();
    }
    throw new AssertionError("accepted: " + body);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
