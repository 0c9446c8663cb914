package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpenAiRequestTest {

  @Test
  void shouldReadModelPromptStreamUsageAndLimit() {
    OpenAiRequest request = OpenAiRequest.parse("""
        {"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},
         {"role":"user","content":[{"type":"text","text":"Say hello"}]}],
         "stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":30,"temperature":0.7}
        """);

    assertThat(request.model()).isEqualTo("gpt-4o-mini");
    assertThat(request.prompt().characters()).isEqualTo(9 + 9);
    assertThat(request.stream()).isTrue();
    assertThat(request.includeUsage()).isTrue();
    assertThat(request.maxTokens()).isEqualTo(30);
  }

  @Test
  void shouldTakeMaxTokensWhenMaxCompletionTokensIsAbsent() {
    OpenAiRequest request = OpenAiRequest.parse("""
        {"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":7}
        """);

    assertThat(request.maxTokens()).isEqualTo(7);
    assertThat(request.stream()).isFalse();
    assertThat(request.includeUsage()).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"model\": |  | ",
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} |  | ",
      "{\"model\":\"m\"} | messages | missing_required_parameter",
      "{\"model\":\"m\",\"messages\":[]} | messages | empty_array",
      "{\"model\":\"m\",\"messages\":\"hi\"} | messages | invalid_type",
      "{\"model\":\"m\",\"messages\":[{\"content\":\"hi\"}],\"max_tokens\":0} | max_tokens | integer_below_min_value",
      "{\"model\":\"m\",\"messages\":[{\"content\":\"hi\"}],\"temperature\":2.5} | temperature | decimal_above_max_value",
      "{\"model\":\"m\",\"messages\":[{\"content\":\"hi\"}],\"stream_options\":{\"include_usage\":true}} | stream_options | "})
  void shouldRejectWhatOpenAiRejects(String body, String param, String code) {
    assertThatThrownBy(() -> OpenAiRequest.parse(body))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.param()).isEqualTo(param);
          assertThat(e.code()).isEqualTo(code);
          assertThat(e.getMessage()).isNotBlank();
        });
  }
}
