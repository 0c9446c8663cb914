package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PromptTest {

  @ParameterizedTest(name = "{0} characters -> {1} tokens")
  @CsvSource({"0, 1", "1, 1", "4, 1", "5, 2", "8, 2", "9, 3", "400, 100", "401, 101"})
  void shouldCountOneTokenPerFourCharactersRoundedUpAndAtLeastOne(int characters, long tokens) {
    Prompt prompt = Prompt.of(List.of("x".repeat(characters)));

    assertThat(prompt.characters()).isEqualTo(characters);
    assertThat(prompt.tokens()).isEqualTo(tokens);
  }

  @Test
  void shouldAddTheCharactersOfAllMessages() {
    Prompt prompt = Prompt.of(List.of("Be brief.", "Say hello in three words"));

    assertThat(prompt.characters()).isEqualTo(9 + 24);
    assertThat(prompt.tokens()).isEqualTo(9); // ceil(33 / 4)
  }

  @Test
  void shouldCountCodePointsNotUtf16Units() {
    Prompt prompt = Prompt.of(List.of("h\uD83D\uDE00llo")); // "h😀llo": 5 code points, 6 UTF-16 units

    assertThat(prompt.characters()).isEqualTo(5);
  }

  @Test
  void shouldSeedByContentAndMessageBoundaries() {
    assertThat(Prompt.of(List.of("ab", "c")).seed()).isEqualTo(Prompt.of(List.of("ab", "c")).seed())
        .isNotEqualTo(Prompt.of(List.of("a", "bc")).seed());
  }
}
