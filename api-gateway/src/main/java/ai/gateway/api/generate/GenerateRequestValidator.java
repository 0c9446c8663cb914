package ai.gateway.api.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.FieldViolation;
import org.jspecify.annotations.Nullable;

/**
 * The design's request limits. All field errors are collected and reported together as
 * {@code INVALID_REQUEST}; only a request that is otherwise valid can fail with
 * {@code CONTEXT_LENGTH_EXCEEDED}. Lengths are in Unicode code points, so an emoji counts as one
 * character, as a person would count it.
 */
public final class GenerateRequestValidator {

  static final Set<String> PROVIDERS = Set.of("openai", "anthropic", "gemini");
  private static final int MAX_MODEL_LENGTH = 200;
  private static final double MAX_TEMPERATURE = 2.0;
  private static final double MAX_ANTHROPIC_TEMPERATURE = 1.0;
  // A Gemini model name becomes a URL path segment: only characters that need no escaping.
  private static final Pattern GEMINI_MODEL = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private final GatewayProperties.Limits limits;

  GenerateRequestValidator(GatewayProperties.Limits limits) {
    this.limits = limits;
  }

  public GenerationParams validate(GenerateRequest request) {
    List<FieldViolation> errors = new ArrayList<>();
    String prompt = request.prompt();
    if (prompt == null) {
      errors.add(new FieldViolation("prompt", "is required"));
    } else if (checkText("prompt", prompt, errors) && prompt.isBlank()) {
      errors.add(new FieldViolation("prompt", "must not be blank"));
    }
    if (request.systemPrompt() != null) {
      checkText("systemPrompt", request.systemPrompt(), errors);
    }
    String provider = request.provider();
    if (provider != null && !PROVIDERS.contains(provider)) {
      errors.add(new FieldViolation("provider", "must be one of openai, anthropic, gemini"));
      provider = null;
    }
    if (request.model() != null) {
      checkModel(request.model(), provider, errors);
    }
    Integer maxTokens = request.maxTokens();
    if (maxTokens != null && (maxTokens < 1 || maxTokens > limits.maxTokens())) {
      errors.add(new FieldViolation("maxTokens", "must be between 1 and " + limits.maxTokens()));
    }
    Double temperature = request.temperature();
    if (temperature != null) {
      if (!Double.isFinite(temperature) || temperature < 0 || temperature > MAX_TEMPERATURE) {
        errors.add(new FieldViolation("temperature", "must be between 0 and 2"));
      } else if ("anthropic".equals(provider) && temperature > MAX_ANTHROPIC_TEMPERATURE) {
        errors.add(new FieldViolation("temperature", "must be at most 1 for anthropic"));
      }
    }
    if (!errors.isEmpty()) {
      throw ApiError.invalid(errors.size() == 1 ? "The request has an invalid field." : "The request has invalid fields.", errors)
          .exception();
    }
    checkContextLength(prompt, request.systemPrompt());
    return new GenerationParams(prompt, request.systemPrompt(), provider, request.model(),
        maxTokens == null ? limits.defaultMaxTokens() : maxTokens,
        temperature == null ? limits.defaultTemperature() : temperature);
  }

  private void checkContextLength(String prompt, @Nullable String systemPrompt) {
    long codePoints = (long) prompt.codePointCount(0, prompt.length())
        + (systemPrompt == null ? 0 : systemPrompt.codePointCount(0, systemPrompt.length()));
    if (codePoints > limits.maxPromptCodePoints()) {
      throw ApiError.of(ErrorCode.CONTEXT_LENGTH_EXCEEDED, "prompt and systemPrompt together have " + codePoints
          + " characters (Unicode code points); the limit is " + limits.maxPromptCodePoints() + ".").exception();
    }
  }

  private static void checkModel(String model, @Nullable String provider, List<FieldViolation> errors) {
    if ("gemini".equals(provider)) {
      // ".." or "." alone would be a relative path segment in the provider's URL.
      if (!GEMINI_MODEL.matcher(model).matches() || model.contains("..") || model.equals(".")) {
        errors.add(new FieldViolation("model", "must match [A-Za-z0-9._-]{1,128} for gemini"));
      }
      return;
    }
    int length = model.codePointCount(0, model.length());
    if (length < 1 || length > MAX_MODEL_LENGTH) {
      errors.add(new FieldViolation("model", "must have 1 to " + MAX_MODEL_LENGTH + " characters"));
    } else if (!model.codePoints().allMatch(GenerateRequestValidator::isPrintable)) {
      errors.add(new FieldViolation("model", "must not contain control characters"));
    }
  }

  /** NUL and unpaired surrogates: neither survives the way to a provider or into a PostgreSQL {@code text}. */
  private static boolean checkText(String field, String text, List<FieldViolation> errors) {
    if (text.indexOf('\u0000') >= 0) {
      errors.add(new FieldViolation(field, "must not contain NUL characters"));
      return false;
    }
    if (hasLoneSurrogate(text)) {
      errors.add(new FieldViolation(field, "must not contain unpaired surrogates"));
      return false;
    }
    return true;
  }

  static boolean hasLoneSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isPrintable(int codePoint) {
    int type = Character.getType(codePoint);
    return type != Character.CONTROL && type != Character.FORMAT && type != Character.SURROGATE
        && type != Character.LINE_SEPARATOR && type != Character.PARAGRAPH_SEPARATOR;
  }
}
