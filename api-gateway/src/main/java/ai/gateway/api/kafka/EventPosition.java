package ai.gateway.api.kafka;

import ai.gateway.schemas.v1.GenerationEvent;

/**
 * Where an event stands in a job's replies: its attempt, then its {@code seq} within the attempt. The SSE
 * {@code id} ({@code <attempt>.<seq>}) and so {@code Last-Event-ID}. Ordered as the gateway relays replies:
 * a later attempt replaces an earlier one, so any event of attempt 2 comes after every event of attempt 1.
 */
public record EventPosition(int attempt, int seq) implements Comparable<EventPosition> {

  public static EventPosition of(GenerationEvent event) {
    return new EventPosition(event.getAttempt(), event.getSeq());
  }

  /** Parses {@code <attempt>.<seq>}, both positive; anything else is an {@link IllegalArgumentException}. */
  public static EventPosition parse(String id) {
    int dot = id.indexOf('.');
    if (dot <= 0 || dot == id.length() - 1 || id.length() > 21) {
      throw new IllegalArgumentException("not an event position");
    }
    try {
      int attempt = Integer.parseInt(id.substring(0, dot));
      int seq = Integer.parseInt(id.substring(dot + 1));
      if (attempt < 1 || seq < 1 || !id.equals(attempt + "." + seq)) {
        throw new IllegalArgumentException("not an event position");
      }
      return new EventPosition(attempt, seq);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not an event position", e);
    }
  }

  @Override
  public int compareTo(EventPosition other) {
    int byAttempt = Integer.compare(attempt, other.attempt);
    return byAttempt != 0 ? byAttempt : Integer.compare(seq, other.seq);
  }

  @Override
  public String toString() {
    return attempt + "." + seq;
  }
}
