package ai.gateway.api.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.FieldViolation;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GenerateRequestValidatorTest {

  private static final String EMOJI = "\uD83D\uDE00"; // 😀: two UTF-16 chars, one code point

  private final GenerateRequestValidator validator =
      new GenerateRequestValidator(new GatewayProperties.Limits(4096, 1024, 0.7, 100_000));

  @Test
  void shouldApplyDefaults() {
    GenerationParams params = validator.validate(request("hi"));

    assertThat(params).isEqualTo(new GenerationParams("hi", null, null, null, 1024, 0.7));
  }

  @Test
  void shouldAcceptMaxTokensBounds() {
    assertThat(validator.validate(withMaxTokens(1)).maxTokens()).isEqualTo(1);
    assertThat(validator.validate(withMaxTokens(4096)).maxTokens()).isEqualTo(4096);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 4097, Integer.MAX_VALUE, Integer.MIN_VALUE})
  void shouldRejectMaxTokensOutOfRange(int maxTokens) {
    assertThat(rejection(withMaxTokens(maxTokens)).errors())
        .containsExactly(new FieldViolation("maxTokens", "must be between 1 and 4096"));
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 0.7, 1.0, 2.0})
  void shouldAcceptTemperatureFromZeroToTwo(double temperature) {
    assertThat(validator.validate(withTemperature(null, temperature)).temperature()).isEqualTo(temperature);
  }

  @ParameterizedTest
  @ValueSource(doubles = {-0.01, 2.01, Double.NaN, Double.POSITIVE_INFINITY})
  void shouldRejectTemperatureOutsideZeroToTwo(double temperature) {
    assertThat(rejection(withTemperature(null, temperature)).errors()).extracting(FieldViolation::field)
        .containsExactly("temperature");
  }

  @Test
  void shouldCapAnthropicTemperatureAtOne() {
    assertThat(validator.validate(withTemperature("anthropic", 1.0)).temperature()).isEqualTo(1.0);
    assertThat(rejection(withTemperature("anthropic", 1.1)).errors())
        .containsExactly(new FieldViolation("temperature", "must be at most 1 for anthropic"));
    assertThat(validator.validate(withTemperature("openai", 1.5)).temperature()).isEqualTo(1.5);
  }

  @Test
  void shouldRequireNonBlankPrompt() {
    assertThat(rejection(request(null)).errors()).containsExactly(new FieldViolation("prompt", "is required"));
    assertThat(rejection(request(" \n\t")).errors()).containsExactly(new FieldViolation("prompt", "must not be blank"));
    assertThat(rejection(request("")).errors()).containsExactly(new FieldViolation("prompt", "must not be blank"));
  }

  @Test
  void shouldAcceptPromptOfExactly100kCodePointsOfEmoji() {
    // 100,000 code points are 200,000 UTF-16 chars: the limit counts what a person counts.
    GenerationParams params = validator.validate(request(EMOJI.repeat(100_000)));

    assertThat(params.prompt().codePointCount(0, params.prompt().length())).isEqualTo(100_000);
  }

  @Test
  void shouldRejectPromptOver100kCharactersWithContextLengthExceeded() {
    ApiError error = rejection(request(EMOJI.repeat(100_000) + "a"));

    assertThat(error.code()).isEqualTo(ErrorCode.CONTEXT_LENGTH_EXCEEDED);
    assertThat(error.status()).isEqualTo(400);
    assertThat(error.detail()).contains("100001").contains("100000");
  }

  @Test
  void shouldCountSystemPromptTowardsTheLimit() {
    GenerateRequest atLimit = new GenerateRequest("a".repeat(60_000), EMOJI.repeat(40_000), null, null, null, null);
    GenerateRequest overLimit = new GenerateRequest("a".repeat(60_000), EMOJI.repeat(40_001), null, null, null, null);

    assertThat(validator.validate(atLimit).systemPrompt()).hasSize(80_000);
    assertThat(rejection(overLimit).code()).isEqualTo(ErrorCode.CONTEXT_LENGTH_EXCEEDED);
  }

  @Test
  void shouldRejectNulInAnyText() {
    assertThat(rejection(request("a\u0000b")).errors()).containsExactly(new FieldViolation("prompt", "must not contain NUL characters"));
    GenerateRequest inSystem = new GenerateRequest("hi", "x\u0000", null, null, null, null);
    assertThat(rejection(inSystem).errors()).extracting(FieldViolation::field).containsExactly("systemPrompt");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\uD800", "a\uDC00", "\uDBFF\uDBFF", "\uDE00\uD83D"})
  void shouldRejectLoneSurrogates(String text) {
    assertThat(rejection(request(text)).errors())
        .containsExactly(new FieldViolation("prompt", "must not contain unpaired surrogates"));
  }

  @Test
  void shouldRejectUnknownProvider() {
    for (String provider : new String[] {"OpenAI", "azure", "", "openai "}) {
      assertThat(rejection(withModel(provider, null)).errors())
          .containsExactly(new FieldViolation("provider", "must be one of openai, anthropic, gemini"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt-4o-mini", "org/model", "llama3.1:8b", "meta-llama/Llama-3.1-8B-Instruct", "claude-sonnet-4-5"})
  void shouldAcceptFreeFormModelsForOpenAiAndAnthropic(String model) {
    assertThat(validator.validate(withModel("openai", model)).model()).isEqualTo(model);
    assertThat(validator.validate(withModel("anthropic", model)).model()).isEqualTo(model);
    assertThat(validator.validate(withModel(null, model)).model()).isEqualTo(model);
  }

  @Test
  void shouldRejectModelsWithControlCharactersOrTooLong() {
    assertThat(validator.validate(withModel("openai", "m".repeat(200))).model()).hasSize(200);
    for (String model : new String[] {"m".repeat(201), "", "gpt\r\nX-Injected: 1", "gpt\u001b[31m", "gpt\u0000", "a\u202Eb"}) {
      assertThat(rejection(withModel("openai", model)).errors()).extracting(FieldViolation::field).containsExactly("model");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gemini-2.5-flash", "gemini-1.5-pro-002", "a", "A_b.c-1"})
  void shouldAcceptUrlSafeGeminiModels(String model) {
    assertThat(validator.validate(withModel("gemini", model)).model()).isEqualTo(model);
  }

  @ParameterizedTest
  @ValueSource(strings = {"models/gemini", "gemini#x", "gemini?key=1", "..", ".", "a..b", "gemini 2", "gemini:stream", "%2e%2e", ""})
  void shouldRejectGeminiModelsThatAreNotOnePathSegment(String model) {
    assertThat(rejection(withModel("gemini", model)).errors())
        .containsExactly(new FieldViolation("model", "must match [A-Za-z0-9._-]{1,128} for gemini"));
  }

  @Test
  void shouldRejectGeminiModelOver128Characters() {
    assertThat(validator.validate(withModel("gemini", "g".repeat(128))).model()).hasSize(128);
    assertThat(rejection(withModel("gemini", "g".repeat(129))).errors()).extracting(FieldViolation::field).containsExactly("model");
  }

  @Test
  void shouldReportAllInvalidFieldsAtOnceBeforeContextLength() {
    GenerateRequest request = new GenerateRequest("x".repeat(100_001), null, "nope", null, 0, 3.0);

    ApiError error = rejection(request);

    assertThat(error.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(error.errors()).extracting(FieldViolation::field).containsExactly("provider", "maxTokens", "temperature");
  }

  private static GenerateRequest request(@Nullable String prompt) {
    return new GenerateRequest(prompt, null, null, null, null, null);
  }

  private static GenerateRequest withMaxTokens(int maxTokens) {
    return new GenerateRequest("hi", null, null, null, maxTokens, null);
  }

  private static GenerateRequest withTemperature(@Nullable String provider, double temperature) {
    return new GenerateRequest("hi", null, provider, null, null, temperature);
  }

  private static GenerateRequest withModel(@Nullable String provider, @Nullable String model) {
    return new GenerateRequest("hi", null, provider, model, null, null);
  }

  private ApiError rejection(GenerateRequest request) {
    try {
      validator.validate(request);
    } catch (ApiException e) {
      return e.error();
    }
    throw new AssertionError("accepted: " + request);
  }
}
