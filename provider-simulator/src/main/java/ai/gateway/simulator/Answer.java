package ai.gateway.simulator;

import java.util.List;

/**
 * The deterministic answer to a prompt: token {@code i} is a space and a word from a fixed list, picked by
 * mixing the prompt's seed with {@code i}. Every token is exactly one completion token, and any token can
 * be computed on its own, so a 100,000-token answer is never held in memory.
 */
final class Answer {

  static final List<String> WORDS = List.of(
      "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "gateway", "token", "stream", "kafka",
      "river", "mountain", "signal", "answer", "model", "prompt", "careful", "bright", "quiet", "simple",
      "window", "garden", "paper", "silver", "orange", "planet", "engine", "bridge", "harbor", "forest",
      "cloud", "pixel", "number", "letter", "winter", "summer", "spring", "autumn", "music", "story",
      "little", "giant", "gentle", "rapid", "steady", "honest", "clever", "golden", "purple", "yellow",
      "north", "south", "east", "west", "circle", "square", "measure", "balance", "journey", "harvest",
      "lantern", "compass");

  private final long seed;

  Answer(long seed) {
    this.seed = seed;
  }

  String token(int index) {
    long mixed = splitMix64(seed + (index + 1L) * 0x9E3779B97F4A7C15L);
    return " " + WORDS.get((int) Long.remainderUnsigned(mixed, WORDS.size()));
  }

  String text(int tokens) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < tokens; i++) {
      text.append(token(i));
    }
    return text.toString();
  }

  /** SplitMix64's finalizer: written out so the answer never depends on a JDK's Random implementation. */
  private static long splitMix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
