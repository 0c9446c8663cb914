package ai.gateway.simulator;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The text of a request's messages, reduced to what the simulator needs: the prompt token count and the
 * seed of the deterministic answer.
 *
 * @param characters Unicode code points of all message contents together (the design counts prompt size
 *     in code points too)
 * @param tokens {@code ceil(characters / 4)}, at least 1: the design's "about 4 characters a token"
 * @param seed FNV-1a hash of the contents, so the same prompt always gets the same answer
 */
record Prompt(long characters, long tokens, long seed) {

  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  static Prompt of(List<String> contents) {
    long characters = 0;
    long hash = FNV_OFFSET;
    for (String content : contents) {
      characters += content.codePointCount(0, content.length());
      for (byte b : content.getBytes(StandardCharsets.UTF_8)) {
        hash = (hash ^ (b & 0xff)) * FNV_PRIME;
      }
      // a separator, so ["ab", "c"] and ["a", "bc"] differ
      hash = (hash ^ 0xff) * FNV_PRIME;
    }
    return new Prompt(characters, Math.max(1, (characters + 3) / 4), hash);
  }
}
