package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AnthropicRequestTest {

  @Test
  void shouldCountTheSystemPromptBeforeTheMessages() {
    AnthropicRequest request = AnthropicRequest.parse("""
        {"model":"claude-x","max_tokens":64,"stream":true,"temperature":1,
         "system":[{"type":"text","text":"Be brief."}],
         "messages":[{"role":"user","content":"Say hello"},{"role":"assistant","content":[{"type":"text","text":"Hi"}]}]}
        """);

    assertThat(request.model()).isEqualTo("claude-x");
    assertThat(request.maxTokens()).isEqualTo(64);
    assertThat(request.stream()).isTrue();
    assertThat(request.prompt()).isEqualTo(Prompt.of(List.of("Be brief.", "Say hello", "Hi")));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | max_tokens: Field required",
      "{\"model\":\"m\",\"max_tokens\":\"9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | max_tokens:",
      "{\"model\":\"m\",\"max_tokens\":9,\"temperature\":1.01,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"
          + " | temperature: range: 0..1",
      "{\"model\":\"m\",\"max_tokens\":9,\"system\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | system:",
      "{\"model\":\"m\",\"max_tokens\":9,\"messages\":{}} | messages: Input should be a valid list",
      "{\"model\":\"\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | model:",
      "[] | error parsing the body"})
  void shouldRejectWhatAnthropicRejects(String body, String message) {
    assertThatThrownBy(() -> AnthropicRequest.parse(body)).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining(message);
  }

  @Test
  void shouldReadModelAndStreamFromABodyThatFailsValidation() {
    var tree = AnthropicRequest.tree("{\"model\":\"claude-x\",\"stream\":true}");

    assertThat(AnthropicRequest.model(tree)).isEqualTo("claude-x");
    assertThat(AnthropicRequest.stream(tree)).isTrue();
    assertThat(AnthropicRequest.model(AnthropicRequest.tree("not json"))).isEmpty();
  }
}
