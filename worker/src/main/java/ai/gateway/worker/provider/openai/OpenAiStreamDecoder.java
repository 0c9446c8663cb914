package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.Decoded;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.Finished;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.SseReader;
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
import ai.gateway.worker.provider.openai.OpenAiWire.Choice;
import ai.gateway.worker.provider.openai.OpenAiWire.Chunk;
import ai.gateway.worker.provider.openai.OpenAiWire.Delta;
import ai.gateway.worker.provider.openai.OpenAiWire.Usage;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;

/**
 * Turns a Chat Completions SSE stream into provider events. Stateful, one per call, fed read by read.
 *
 * <ul>
 *   <li>{@code data: [DONE]} ends the answer; anything after it is ignored.</li>
 *   <li>Content deltas become {@link TextDelta}s (the role-only first chunk and empty deltas are skipped);
 *       {@code delta.refusal} is collected and surfaced in {@link Finished#refusal()}.</li>
 *   <li>The final {@code choices: []} chunk's usage becomes a {@link UsageReport} as soon as it arrives, so
 *       the caller accounts exact tokens even if the stream then fails.</li>
 *   <li>{@code {"error": ...}} inside the 200 stream is a classified {@link ProviderException}.</li>
 *   <li>The end of the stream is {@link Finished}, unless no finish reason came (a truncated stream is an
 *       error, never a silent clean end) or the finish reason was {@code content_filter}.</li>
 * </ul>
 */
final class OpenAiStreamDecoder {

  static final String CONTENT_FILTER = "content_filter";

  private final SseReader reader;
  private @Nullable String model;
  private @Nullable String finishReason;
  private final StringBuilder refusal = new StringBuilder();
  private boolean done;
  private boolean failed;

  OpenAiStreamDecoder() {
    this(SseReader.DEFAULT_MAX_LINE_BYTES);
  }

  OpenAiStreamDecoder(int maxLineBytes) {
    this.reader = new SseReader(maxLineBytes);
  }

  Decoded decode(byte[] bytes) {
    List<ProviderEvent> events = new ArrayList<>(2);
    try {
      for (SseReader.Event event : reader.feed(bytes)) {
        onData(event.data(), events);
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
        onData(event.data(), events);
      }
      events.add(finish());
    } catch (ProviderException e) {
      failed = true;
      return new Decoded(events, e);
    }
    return Decoded.of(events);
  }

  /**
   * A whole non-streaming completion: what an OpenAI-compatible server that ignores {@code stream: true}
   * answers. The same events as a stream with one delta.
   */
  static Decoded decodeCompletion(byte[] body) {
    OpenAiStreamDecoder decoder = new OpenAiStreamDecoder();
    List<ProviderEvent> events = new ArrayList<>(3);
    try {
      decoder.onChunk(parse(new String(body, java.nio.charset.StandardCharsets.UTF_8)), events);
      events.add(decoder.finish());
    } catch (ProviderException e) {
      return new Decoded(events, e);
    }
    return Decoded.of(events);
  }

  private void onData(String data, List<ProviderEvent> events) {
    if (done || failed || data.isBlank()) {
      return;
    }
    if (data.strip().equals("[DONE]")) {
      done = true;
      return;
    }
    onChunk(parse(data), events);
  }

  private void onChunk(Chunk chunk, List<ProviderEvent> events) {
    if (chunk.error() != null) {
      throw OpenAiErrorClassifier.fromStreamError(chunk.error());
    }
    if (chunk.model() != null && !chunk.model().isBlank()) {
      model = chunk.model();
    }
    if (chunk.choices() != null) {
      for (Choice choice : chunk.choices()) {
        if (choice.index() == null || choice.index() == 0) {
          onChoice(choice, events);
        }
      }
    }
    Usage usage = chunk.usage();
    if (usage != null && (usage.promptTokens() != null || usage.completionTokens() != null)) {
      long prompt = orZero(usage.promptTokens());
      long completion = orZero(usage.completionTokens());
      long total = usage.totalTokens() != null ? usage.totalTokens() : prompt + completion;
      events.add(new UsageReport(prompt, completion, total));
    }
  }

  private void onChoice(Choice choice, List<ProviderEvent> events) {
    Delta delta = choice.delta() != null ? choice.delta() : choice.message();
    if (delta != null) {
      if (delta.content() != null && !delta.content().isEmpty()) {
        events.add(new TextDelta(delta.content()));
      }
      if (delta.refusal() != null) {
        refusal.append(delta.refusal());
      }
    }
    if (choice.finishReason() != null && !choice.finishReason().isBlank()) {
      finishReason = choice.finishReason();
    }
  }

  private Finished finish() {
    if (finishReason == null) {
      throw new ProviderException(FailureClass.MALFORMED, "the provider's stream ended before the answer was complete");
    }
    if (CONTENT_FILTER.equals(finishReason)) {
      throw new ProviderException(FailureClass.CONTENT_FILTERED, "the provider's content filter stopped the answer");
    }
    return new Finished(finishReason, model, refusal.isEmpty() ? null : refusal.toString());
  }

  private static Chunk parse(String json) {
    try {
      Chunk chunk = OpenAiWire.MAPPER.readValue(json, Chunk.class);
      if (chunk == null) {
        throw new ProviderException(FailureClass.MALFORMED, "the provider sent an empty stream frame");
      }
      return chunk;
    } catch (JacksonException e) {
      // the exception's message quotes the payload: keep it out of the safe message
      throw new ProviderException(FailureClass.MALFORMED, "the provider sent an undecodable stream frame");
    }
  }

  private static long orZero(@Nullable Long value) {
    return value == null ? 0 : value;
  }
}
