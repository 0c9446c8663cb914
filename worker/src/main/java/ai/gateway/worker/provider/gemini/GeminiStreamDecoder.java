package ai.gateway.worker.provider.gemini;

import ai.gateway.worker.provider.Decoded;
import ai.gateway.worker.provider.FailureClass;
import ai.gateway.worker.provider.Finished;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.SseReader;
import ai.gateway.worker.provider.TextDelta;
import ai.gateway.worker.provider.UsageReport;
import ai.gateway.worker.provider.gemini.GeminiWire.Candidate;
import ai.gateway.worker.provider.gemini.GeminiWire.Response;
import ai.gateway.worker.provider.gemini.GeminiWire.ResponsePart;
import ai.gateway.worker.provider.gemini.GeminiWire.UsageMetadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Turns a {@code streamGenerateContent?alt=sse} stream into provider events. Stateful, one per call, fed
 * read by read.
 *
 * <ul>
 *   <li>Every chunk is a whole {@code GenerateContentResponse} in a {@code data:} event; events end with
 *       CRLF CRLF (the shared {@link SseReader} accepts every line ending).</li>
 *   <li>Text: {@code candidates[0].content.parts[].text}; parts marked {@code thought: true} are reasoning,
 *       and empty parts (the final thought signature) carry nothing.</li>
 *   <li>Usage: {@code usageMetadata} appears on every chunk, but intermediate chunks carry partial and even
 *       different counts; only the last chunk's is the answer's. It is reported once, at the end, and only
 *       if the answer reached a finish reason (or was blocked); thinking tokens count as output.</li>
 *   <li>{@code finishReason}: 2024 models send {@code STOP} on every chunk, so the stream is read to its end
 *       and the last reason counts. {@code SAFETY}, {@code PROHIBITED_CONTENT}, {@code RECITATION},
 *       {@code BLOCKLIST}, {@code SPII} and the image variants are content filtered, as is a
 *       {@code promptFeedback.blockReason} (a blocked prompt is an HTTP 200 without candidates).</li>
 *   <li>An error after the 200: a {@code data: {"error": ...}} chunk, or a bare pretty-printed JSON object
 *       over several lines without {@code data:} (how Gemini writes it; the SDKs balance braces over such
 *       lines). Both end the call with the classified error, after the text already read.</li>
 *   <li>No terminator: the end of the body is the end of the answer.</li>
 * </ul>
 */
final class GeminiStreamDecoder {

  static final Set<String> FILTERED = Set.of("SAFETY", "PROHIBITED_CONTENT", "RECITATION", "BLOCKLIST", "SPII",
      "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION");

  private final SseReader reader;
  private final StringBuilder bareJson = new StringBuilder();
  private int bareDepth;
  private boolean bareInString;
  private boolean bareEscaped;
  private @Nullable String model;
  private @Nullable String finishReason;
  private @Nullable String blockReason;
  private @Nullable UsageMetadata usage;
  private boolean failed;

  GeminiStreamDecoder() {
    this(SseReader.DEFAULT_MAX_LINE_BYTES);
  }

  GeminiStreamDecoder(int maxLineBytes) {
    this.reader = new SseReader(maxLineBytes, true);
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
      if (failed) {
        return Decoded.of(events);
      }
      if (!bareJson.isEmpty()) {
        throw new ProviderException(FailureClass.MALFORMED, "the provider's stream ended inside a JSON object");
      }
      Decoded finish = finish();
      events.addAll(finish.events());
      return new Decoded(events, finish.failure());
    } catch (ProviderException e) {
      failed = true;
      return new Decoded(events, e);
    }
  }

  /**
   * A whole non-stream answer ({@code generateContent}), or the JSON array the streaming endpoint sends
   * without {@code alt=sse}: the same events as a stream.
   */
  static Decoded decodeBody(byte[] body) {
    GeminiStreamDecoder decoder = new GeminiStreamDecoder();
    List<ProviderEvent> events = new ArrayList<>(3);
    try {
      JsonNode root = readTree(new String(body, StandardCharsets.UTF_8));
      if (root.isArray()) {
        for (JsonNode element : root) {
          decoder.onResponse(toResponse(element), events);
        }
      } else {
        decoder.onResponse(toResponse(root), events);
      }
      Decoded finish = decoder.finish();
      events.addAll(finish.events());
      return new Decoded(events, finish.failure());
    } catch (ProviderException e) {
      return new Decoded(events, e);
    }
  }

  private void onEvent(SseReader.Event event, List<ProviderEvent> events) {
    if (failed) {
      return;
    }
    if (event.stray()) {
      onBareLine(event.data(), events);
    } else if (!event.data().isBlank()) {
      onResponse(toResponse(readTree(event.data())), events);
    }
  }

  /** Collects a JSON object written over lines without {@code data:} until its braces balance. */
  private void onBareLine(String line, List<ProviderEvent> events) {
    if (bareJson.isEmpty() && !line.stripLeading().startsWith("{")) {
      return; // not the start of an object: an unknown field, ignored as SSE says
    }
    bareJson.append(line).append('\n');
    if (bareJson.length() > SseReader.DEFAULT_MAX_LINE_BYTES) {
      throw new ProviderException(FailureClass.MALFORMED, "the provider sent an oversized bare JSON object");
    }
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (bareInString) {
        if (bareEscaped) {
          bareEscaped = false;
        } else if (c == '\\') {
          bareEscaped = true;
        } else if (c == '"') {
          bareInString = false;
        }
      } else if (c == '"') {
        bareInString = true;
      } else if (c == '{') {
        bareDepth++;
      } else if (c == '}') {
        bareDepth--;
      }
    }
    if (bareDepth <= 0 && !bareInString) {
      String json = bareJson.toString();
      bareJson.setLength(0);
      bareDepth = 0;
      onResponse(toResponse(readTree(json)), events);
    }
  }

  private void onResponse(Response response, List<ProviderEvent> events) {
    if (response.error() != null) {
      throw GeminiErrorClassifier.fromStreamError(response.error());
    }
    if (response.modelVersion() != null && !response.modelVersion().isBlank()) {
      model = response.modelVersion();
    }
    if (response.usageMetadata() != null) {
      usage = response.usageMetadata();
    }
    if (response.promptFeedback() != null && response.promptFeedback().blockReason() != null) {
      blockReason = response.promptFeedback().blockReason();
    }
    if (response.candidates() == null) {
      return;
    }
    for (Candidate candidate : response.candidates()) {
      if (candidate.index() != null && candidate.index() != 0) {
        continue;
      }
      if (candidate.content() != null && candidate.content().parts() != null) {
        for (ResponsePart part : candidate.content().parts()) {
          if (!Boolean.TRUE.equals(part.thought()) && part.text() != null && !part.text().isEmpty()) {
            events.add(new TextDelta(part.text()));
          }
        }
      }
      if (candidate.finishReason() != null && !candidate.finishReason().isBlank()
          && !candidate.finishReason().equals("FINISH_REASON_UNSPECIFIED")) {
        finishReason = candidate.finishReason();
      }
    }
  }

  /**
   * The end of the answer: its usage (if the provider gave one), then how it finished. A filtered answer's
   * usage still comes first: a blocked prompt was read and billed.
   */
  private Decoded finish() {
    boolean filtered = blockReason != null || (finishReason != null && FILTERED.contains(finishReason));
    if (!filtered && finishReason == null) {
      // intermediate usage is not the answer's, so none is reported for a cut stream
      throw new ProviderException(FailureClass.MALFORMED,
          "the provider's stream ended before the answer was complete (no finish reason)");
    }
    List<ProviderEvent> events = new ArrayList<>(2);
    UsageReport report = usageReport();
    if (report != null) {
      events.add(report);
    }
    if (filtered) {
      return new Decoded(events, new ProviderException(FailureClass.CONTENT_FILTERED,
          "the provider's content filter stopped the answer (" + (blockReason != null
              ? "blockReason " + identifier(blockReason) : "finishReason " + identifier(finishReason)) + ")"));
    }
    events.add(new Finished(finishReason, model, null));
    return Decoded.of(events);
  }

  private @Nullable UsageReport usageReport() {
    UsageMetadata last = usage;
    if (last == null || last.promptTokenCount() == null) {
      return null;
    }
    long prompt = last.promptTokenCount() + orZero(last.toolUsePromptTokenCount());
    long completion = orZero(last.candidatesTokenCount()) + orZero(last.thoughtsTokenCount());
    long total = last.totalTokenCount() != null ? last.totalTokenCount() : prompt + completion;
    return new UsageReport(prompt, completion, Math.max(total, prompt + completion));
  }

  private static JsonNode readTree(String json) {
    try {
      JsonNode node = GeminiWire.MAPPER.readTree(json);
      if (node == null || node.isMissingNode() || node.isNull()) {
        throw new ProviderException(FailureClass.MALFORMED, "the provider sent an empty stream frame");
      }
      return node;
    } catch (JacksonException e) {
      // the exception's message quotes the payload: keep it out of the safe message
      throw new ProviderException(FailureClass.MALFORMED, "the provider sent an undecodable stream frame");
    }
  }

  private static Response toResponse(JsonNode node) {
    try {
      return GeminiWire.MAPPER.treeToValue(node, Response.class);
    } catch (JacksonException e) {
      throw new ProviderException(FailureClass.MALFORMED, "the provider sent an undecodable stream frame");
    }
  }

  private static String identifier(@Nullable String value) {
    return value != null && value.matches("[A-Z_]{1,64}") ? value : "?";
  }

  private static long orZero(@Nullable Long value) {
    return value == null ? 0 : value;
  }
}
