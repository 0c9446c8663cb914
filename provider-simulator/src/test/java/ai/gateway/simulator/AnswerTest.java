package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class AnswerTest {

  @Test
  void shouldGiveTheSameAnswerToTheSamePrompt() {
    // given
    Prompt prompt = Prompt.of(List.of("Be brief.", "Say hello in three words"));

    // when
    String first = new Answer(prompt.seed()).text(40);
    String second = new Answer(Prompt.of(List.of("Be brief.", "Say hello in three words")).seed()).text(40);

    // then
    assertThat(first).isEqualTo(second).isNotBlank();
  }

  @Test
  void shouldGiveDifferentAnswersToDifferentPrompts() {
    String hello = new Answer(Prompt.of(List.of("hello")).seed()).text(20);
    String goodbye = new Answer(Prompt.of(List.of("goodbye")).seed()).text(20);

    assertThat(hello).isNotEqualTo(goodbye);
  }

  @Test
  void shouldMakeEveryTokenASpaceAndOneWordOfTheList() {
    Answer answer = new Answer(Prompt.of(List.of("any prompt")).seed());

    List<String> tokens = IntStream.range(0, 200).mapToObj(answer::token).toList();

    assertThat(tokens).allSatisfy(token -> {
      assertThat(token).startsWith(" ");
      assertThat(Answer.WORDS).contains(token.substring(1));
    });
    assertThat(tokens.stream().distinct().count()).as("distinct words in 200 tokens").isGreaterThan(20);
  }

  @Test
  void shouldMakeTheTextTheConcatenationOfItsTokens() {
    Answer answer = new Answer(42);

    assertThat(answer.text(5)).isEqualTo(answer.token(0) + answer.token(1) + answer.token(2) + answer.token(3)
        + answer.token(4));
    assertThat(answer.text(7)).startsWith(answer.text(6));
  }
}
