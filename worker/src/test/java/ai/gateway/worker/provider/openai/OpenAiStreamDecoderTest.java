package ai.gateway.worker.provider.openai;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.worker.provider.Decoded;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.Finished;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class OpenAiStreamDecoderTest {

  private static final String NORMAL = """
      data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}

      data: {"id":"c1","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":"Привет"},"finish_reason":null}],"usage":null}

      data: {"id":"c1","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":", мир"},"finish_reason":null}],"usage":null}

      data: {"id":"c1","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}

      data: {"id":"c1","model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}

      data: [DONE]

      """;

  @Test
  void shouldDecodeDeltasFinishAndUsageWhateverTheReadBoundaries() {
    byte[] stream = NORMAL.getBytes(StandardCharsets.UTF_8);
    for (int size : new int[] {1, 2, 3, 7, 64, stream.length}) {
      // when
      Result result = decodeInPieces(stream, size);

      // then
      assertThat(result.failure).as("read size %d", size).isNull();
      assertThat(result.text()).as("read size %d", size).isEqualTo("Привет, мир");
      assertThat(result.events).as("read size %d", size)
          .contains(new UsageReport(12, 4, 16))
          .last().isEqualTo(new Finished("stop", "gpt-4o-mini-2024-07-18", null));
    }
  }

  @Test
  void shouldDecodeCrlfFramedStreams() {
    // given
    byte[] stream = NORMAL.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);

    // when
    Result result = decodeInPieces(stream, 5);

    // then
    assertThat(result.failure).isNull();
    assertThat(result.text()).isEqualTo("Привет, мир");
    assertThat(result.events).last().isInstanceOf(Finished.class);
  }

  @Test
  void shouldFailATruncatedStreamAsMalformedAfterItsText() {
    // given: no finish reason, no [DONE]
    String stream = """
        data: {"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}

        """;

    // when
    Result result = decodeInPieces(stream.getBytes(StandardCharsets.UTF_8), 1000);

    // then
    assertThat(result.text()).isEqualTo("Hello");
    assertThat(result.failure).isNotNull();
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.MALFORMED);
  }

  @Test
  void shouldFailOnAnErrorFrameInsideA200StreamAfterTheTextOfTheSameRead() {
    // given
    String stream = """
        data: {"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}]}

        data: {"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}

        data: [DONE]

        """;

    // when: one read carries both frames
    Result result = decodeInPieces(stream.getBytes(StandardCharsets.UTF_8), 10_000);

    // then
    assertThat(result.text()).isEqualTo("Hello");
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.TRANSIENT);
    assertThat(result.failure.getMessage()).doesNotContain("The server had an error");
  }

  @Test
  void shouldTurnAContentFilterFinishIntoContentFilteredAfterUsage() {
    // given
    String stream = """
        data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]}

        data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}

        data: [DONE]

        """;

    // when
    Result result = decodeInPieces(stream.getBytes(StandardCharsets.UTF_8), 16);

    // then
    assertThat(result.events).contains(new UsageReport(3, 1, 4));
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.CONTENT_FILTERED);
  }

  @Test
  void shouldSurfaceARefusalInTheFinishAndIgnoreEverythingAfterDone() {
    // given
    String stream = """
        data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":""},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":null}]}

        data: {"choices":[{"index":0,"delta":{"refusal":" help."},"finish_reason":"stop"}]}

        data: [DONE]

        data: {"choices":[{"index":0,"delta":{"content":"late"},"finish_reason":null}]}

        """;

    // when
    Result result = decodeInPieces(stream.getBytes(StandardCharsets.UTF_8), 9);

    // then
    assertThat(result.failure).isNull();
    assertThat(result.text()).isEmpty();
    assertThat(result.events).last().isEqualTo(new Finished("stop", null, "I can't help."));
  }

  @Test
  void shouldRejectAnUndecodableFrameWithoutQuotingIt() {
    // given
    String stream = "data: {\"choices\": [secret prompt text\n\n";

    // when
    Result result = decodeInPieces(stream.getBytes(StandardCharsets.UTF_8), 100);

    // then
    assertThat(result.failure.failureClass()).isEqualTo(FailureClass.MALFORMED);
    assertThat(result.failure.getMessage()).doesNotContain("secret");
  }

  @Test
  void shouldDecodeANonStreamingCompletion() {
    // given
    String body = """
        {"id":"x","object":"chat.completion","model":"gpt-5.4","choices":[{"index":0,
         "message":{"role":"assistant","content":"Hello!","refusal":null},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29}}
        """;

    // when
    Decoded decoded = OpenAiStreamDecoder.decodeCompletion(body.getBytes(StandardCharsets.UTF_8));

    // then
    assertThat(decoded.failure()).isNull();
    assertThat(decoded.events()).containsExactly(new TextDelta("Hello!"), new UsageReport(19, 10, 29),
        new Finished("stop", "gpt-5.4", null));
  }

  private static Result decodeInPieces(byte[] stream, int size) {
    OpenAiStreamDecoder decoder = new OpenAiStreamDecoder();
    List<ProviderEvent> events = new ArrayList<>();
    for (int i = 0; i < stream.length; i += size) {
      Decoded decoded = decoder.decode(Arrays.copyOfRange(stream, i, Math.min(stream.length, i + size)));
      events.addAll(decoded.events());
      if (decoded.failure() != null) {
        return new Result(events, decoded.failure());
      }
    }
    Decoded end = decoder.end();
    events.addAll(end.events());
    return new Result(events, end.failure());
  }

  private record Result(List<ProviderEvent> events, @Nullable ProviderException failure) {
    String text() {
      StringBuilder text = new StringBuilder();
      events.stream().filter(TextDelta.class::isInstance).map(TextDelta.class::cast).forEach(d -> text.append(d.text()));
      return text.toString();
    }
  }
}
