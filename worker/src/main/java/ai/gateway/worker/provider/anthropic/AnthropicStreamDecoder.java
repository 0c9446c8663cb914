package ai.gateway.worker.provider.anthropic;

import ai.gateway.worker.provider.Decoded;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.Finished;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.SseReader;
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
import ai.gateway.worker.provider.anthropic.AnthropicWire.ContentBlock;
import ai.gateway.worker.provider.anthropic.AnthropicWire.Frame;
import ai.gateway.worker.provider.anthropic.AnthropicWire.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;

/**
 * Turns a Messages SSE stream into provider events. Stateful, one per call, fed read by read.
 *
 * <ul>
 *   <li>{@code message_start}: the model, and the input tokens as a partial {@link UsageReport} (so a stream
 *       that fails later still accounts its prompt exactly).</li>
 *   <li>{@code content_block_delta} of type {@code text_delta}: a {@link TextDelta}; thinking, signature and
 *       tool-input deltas are not answer text.</li>
 *   <li>{@code message_delta}: the stop reason, and the usage, which is <em>cumulative</em>: its values
 *       replace those of {@code message_start} (adding them counts the initial output token twice and, in
 *       live streams that repeat {@code input_tokens}, the prompt twice).</li>
 *   <li>{@code event: error} inside the 200 stream: a classified {@link ProviderException}
 *       ({@code overloaded_error} is retryable, as its HTTP 529 twin).</li>
 *   <li>{@code ping}, block start/stop and unknown event types are skipped.</li>
 *   <li>The end of the body: {@link Finished}, unless the stop reason is {@code refusal} (content filtered),
 *       no stop reason came, or {@code message_stop} never came (a cut stream is an error, never a silent
 *       clean end). A last frame without its blank line still counts, as in the SDKs.</li>
 * </ul>
 */
final class AnthropicStreamDecoder {

  static final String REFUSAL = "refusal";

  private final SseReader reader;
  private @Nullable String model;
  private @Nullable String stopReason;
  private long inputTokens = -1;
  private long outputTokens = -1;
  private boolean stopped;
  private boolean failed;

  AnthropicStreamDecoder() {
    this(SseReader.DEFAULT_MAX_LINE_BYTES);
  }

  AnthropicStreamDecoder(int maxLineBytes) {
    this.reader = new SseReader(maxLineBytes);
  }

  Decoded decode(byte[] bytes) {
    List<ProviderEvent> events = new ArrayList<>(2);
    try {
      for (SseReader.Event event : reader.feed(bytes)) {
        onEvent(event, events);
      }
    } catch (ProviderException e) {
      failed = true;
      return new Decoded(events, e);
    }
    return Decoded.of(events);
  }

  /** The HTTP body ended. */
  Decoded end() {
    List<ProviderEvent> events = new ArrayList<>(2);
    try {
      for (SseReader.Event event : reader.end()) {
        onEvent(event, events);
      }
      if (!failed) {
        events.add(finish());
      }
    } catch (ProviderException e) {
      failed = true;
      return new Decoded(events, e);
    }
    return Decoded.of(events);
  }

  /** A whole non-streaming message: the same events as a stream with one delta. */
  static Decoded decodeMessage(byte[] body) {
    AnthropicStreamDecoder decoder = new AnthropicStreamDecoder();
    List<ProviderEvent> events = new ArrayList<>(3);
    try {
      Frame message = parse(new String(body, StandardCharsets.UTF_8));
      if ("error".equals(message.type())) {
        throw AnthropicErrorClassifier.fromStreamError(message.error());
      }
      decoder.model = message.model();
      decoder.stopReason = message.stopReason();
      StringBuilder text = new StringBuilder();
      if (message.content() != null) {
        for (ContentBlock block : message.content()) {
          if ("text".equals(block.type()) && block.text() != null) {
            text.append(block.text());
          }
        }
      }
      if (!text.isEmpty()) {
        events.add(new TextDelta(text.toString()));
      }
      decoder.onUsage(message.usage(), true, events);
      decoder.stopped = true;
      events.add(decoder.finish());
    } catch (ProviderException e) {
      return new Decoded(events, e);
    }
    return Decoded.of(events);
  }

  private void onEvent(SseReader.Event event, List<ProviderEvent> events) {
    if (stopped || failed || event.data().isBlank()) {
      return;
    }
    Frame frame = parse(event.data());
    // the event name and data.type agree on the wire; the type is what the SDKs dispatch on
    String type = frame.type() != null ? frame.type() : event.name();
    if (type == null) {
      return;
    }
    switch (type) {
      case "message_start" -> {
        if (frame.message() != null) {
          model = frame.message().model();
          onUsage(frame.message().usage(), false, events);
        }
      }
      case "content_block_delta" -> {
        if (frame.delta() != null && "text_delta".equals(frame.delta().type()) && frame.delta().text() != null
            && !frame.delta().text().isEmpty()) {
          events.add(new TextDelta(frame.delta().text()));
        }
      }
      case "message_delta" -> {
        if (frame.delta() != null && frame.delta().stopReason() != null) {
          stopReason = frame.delta().stopReason();
        }
        onUsage(frame.usage(), true, events);
      }
      case "message_stop" -> stopped = true;
      case "error" -> throw AnthropicErrorClassifier.fromStreamError(frame.error());
      default -> {
        // ping, content_block_start/stop, and event types added later
      }
    }
  }

  /** Replaces the counts the frame carries; {@code complete}: this is the final usage of the answer. */
  private void onUsage(@Nullable Usage usage, boolean complete, List<ProviderEvent> events) {
    if (usage == null) {
      return;
    }
    if (usage.inputTokens() != null) {
      inputTokens = usage.inputTokens();
    }
    if (usage.outputTokens() != null) {
      outputTokens = usage.outputTokens();
    }
    if (inputTokens < 0) {
      return;
    }
    if (complete && outputTokens >= 0) {
      events.add(new UsageReport(inputTokens, outputTokens, inputTokens + outputTokens));
    } else {
      // message_start's output_tokens is an initial 1, not a count of the answer
      events.add(UsageReport.promptOnly(inputTokens));
    }
  }

  private Finished finish() {
    if (stopReason == null) {
      throw new ProviderException(FailureClass.MALFORMED,
          "the provider's stream ended before the answer was complete (no stop reason)");
    }
    if (REFUSAL.equals(stopReason)) {
      throw new ProviderException(FailureClass.CONTENT_FILTERED,
          "the provider's content filter stopped the answer (stop_reason refusal)");
    }
    if (!stopped) {
      throw new ProviderException(FailureClass.MALFORMED,
          "the provider's stream ended before the answer was complete (no message_stop)");
    }
    return new Finished(stopReason, model, null);
  }

  private static Frame parse(String json) {
    try {
      Frame frame = AnthropicWire.MAPPER.readValue(json, Frame.class);
      if (frame == null) {
        throw new ProviderException(FailureClass.MALFORMED, "the provider sent an empty stream frame");
      }
      return frame;
    } catch (JacksonException e) {
      // the exception's message quotes the payload: keep it out of the safe message
      throw new ProviderException(FailureClass.MALFORMED, "the provider sent an undecodable stream frame");
    }
  }
}
