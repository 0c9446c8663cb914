package ai.gateway.worker.job;

import org.jspecify.annotations.Nullable;

/**
 * The design's fallback when a provider reports no usage: about four characters a token, counted in
 * Unicode code points as the design counts prompt size, and always marked estimated.
 */
final class UsageEstimate {

  private UsageEstimate() {
  }

  /** Prompt plus system prompt; at least 1, since a request always costs some input. */
  static long promptTokens(String prompt, @Nullable String systemPrompt) {
    long characters = codePoints(prompt) + (systemPrompt == null ? 0 : codePoints(systemPrompt));
    return Math.max(1, tokens(characters));
  }

  /** The text actually received; 0 when nothing came. */
  static long completionTokens(CharSequence received) {
    return tokens(codePoints(received));
  }

  private static long tokens(long characters) {
    return (characters + 3) / 4;
  }

  private static long codePoints(CharSequence text) {
    return text.codePoints().count();
  }
}
