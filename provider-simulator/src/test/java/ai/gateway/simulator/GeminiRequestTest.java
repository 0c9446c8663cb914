package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GeminiRequestTest {

  @Test
  void shouldCountTheSystemInstructionBeforeTheContents() {
    GeminiRequest request = GeminiRequest.parse("""
        {"systemInstruction":{"parts":[{"text":"Be brief."}]},
         "contents":[{"role":"user","parts":[{"text":"Say hello"}]},{"role":"model","parts":[{"text":"Hi"}]}],
         "generationConfig":{"maxOutputTokens":20,"temperature":1.5}}
        """);

    assertThat(request.maxOutputTokens()).isEqualTo(20);
    assertThat(request.prompt()).isEqualTo(Prompt.of(List.of("Be brief.", "Say hello", "Hi")));
  }

  @Test
  void shouldLeaveMaxOutputTokensUnsetWithoutGenerationConfig() {
    assertThat(GeminiRequest.parse("{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}").maxOutputTokens()).isNull();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{} | contents is not specified",
      "{\"contents\":[{\"role\":\"system\",\"parts\":[{\"text\":\"x\"}]}]} | valid role",
      "{\"contents\":[{\"parts\":[]}]} | parts must not be empty",
      "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"maxOutputTokens\":-1}} | maxOutputTokens",
      "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"temperature\":2.5}} | temperature",
      "nope | Invalid JSON payload"})
  void shouldRejectWithInvalidArgumentMessages(String body, String message) {
    assertThatThrownBy(() -> GeminiRequest.parse(body)).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining(message);
  }
}
