package ai.gateway.worker.provider;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Server-Sent Events framing over raw network reads, for every streaming adapter.
 *
 * <p>Lines end at CR, LF or CRLF (WHATWG), also when the CR and the LF arrive in different reads. Bytes are
 * buffered until a line is complete and only then decoded as UTF-8: a read may end inside a multi-byte
 * character, and decoding each read on its own would turn it into U+FFFD. A line longer than the limit is
 * a malformed stream, not a reason to buffer without bound. Comments ({@code :...}) are skipped; an event
 * is dispatched at a blank line, and at the end of the stream even without one (servers do omit it).
 *
 * <p>Not thread-safe: one reader per stream, fed in order.
 */
public final class SseReader {

  public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

  /**
   * One dispatched event: its {@code event:} name if any, and its {@code data:} lines joined by LF. With
   * {@code stray}, {@code data} is instead one whole line that is no SSE field at all (see
   * {@link #SseReader(int, boolean)}).
   */
  public record Event(@Nullable String name, String data, boolean stray) {

    public Event(@Nullable String name, String data) {
      this(name, data, false);
    }
  }

  private final int maxLineBytes;
  private final boolean keepStrayLines;
  private byte[] line = new byte[256];
  private int lineLength;
  private boolean lastWasCarriageReturn;
  private @Nullable String eventName;
  private final StringBuilder data = new StringBuilder();
  private boolean hasData;

  public SseReader() {
    this(DEFAULT_MAX_LINE_BYTES);
  }

  public SseReader(int maxLineBytes) {
    this(maxLineBytes, false);
  }

  /**
   * @param keepStrayLines hand lines that are no SSE field ({@code data}, {@code event}, {@code id},
   *     {@code retry}) to the caller as stray events, in order, instead of dropping them as WHATWG says:
   *     Gemini writes an error inside a 200 stream as a bare, pretty-printed JSON object without
   *     {@code data:} prefixes, and its SDKs read it from exactly these lines
   */
  public SseReader(int maxLineBytes, boolean keepStrayLines) {
    this.maxLineBytes = maxLineBytes;
    this.keepStrayLines = keepStrayLines;
  }

  /** The events completed by these bytes; the rest waits for the next read. */
  public List<Event> feed(byte[] bytes) {
    List<Event> events = new ArrayList<>(2);
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      byte b = bytes[i];
      if (b == '\n' && lastWasCarriageReturn) {
        // the LF of a CRLF whose CR already ended the line (possibly in the previous read)
        lastWasCarriageReturn = false;
        start = i + 1;
      } else if (b == '\r' || b == '\n') {
        append(bytes, start, i - start);
        completeLine(events);
        lastWasCarriageReturn = b == '\r';
        start = i + 1;
      } else {
        lastWasCarriageReturn = false;
      }
    }
    append(bytes, start, bytes.length - start);
    return events;
  }

  /** The stream ended: a last line without its line break, and a last event without its blank line, count. */
  public List<Event> end() {
    List<Event> events = new ArrayList<>(1);
    if (lineLength > 0) {
      completeLine(events);
    }
    dispatch(events);
    return events;
  }

  private void append(byte[] bytes, int offset, int length) {
    if (length == 0) {
      return;
    }
    if (lineLength + length > maxLineBytes) {
      throw new ProviderException(FailureClass.MALFORMED,
          "the provider sent a stream line longer than " + maxLineBytes + " bytes");
    }
    if (lineLength + length > line.length) {
      line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(line.length * 2, lineLength + length)));
    }
    System.arraycopy(bytes, offset, line, lineLength, length);
    lineLength += length;
  }

  private void completeLine(List<Event> events) {
    String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
    lineLength = 0;
    if (line.length > 64 * 1024) {
      line = new byte[256]; // do not keep a megabyte per stream after one long line
    }
    if (text.isEmpty()) {
      dispatch(events);
      return;
    }
    if (text.charAt(0) == ':') {
      return; // a comment: keep-alives, OpenRouter's ": PROCESSING"
    }
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "data" -> {
        if (hasData) {
          data.append('\n');
        }
        data.append(value);
        hasData = true;
      }
      case "event" -> eventName = value;
      case "id", "retry" -> {
        // change nothing for a one-shot stream
      }
      default -> {
        if (keepStrayLines) {
          events.add(new Event(null, text, true));
        }
      }
    }
  }

  private void dispatch(List<Event> events) {
    if (hasData) {
      events.add(new Event(eventName, data.toString()));
    }
    data.setLength(0);
    hasData = false;
    eventName = null;
  }
}
