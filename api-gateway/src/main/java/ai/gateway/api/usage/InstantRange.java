package ai.gateway.api.usage;

import java.time.Instant;

/** The half-open range {@code [from, to)} of a usage query; {@code from} is before {@code to}. */
record InstantRange(Instant from, Instant to) {

  InstantRange {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to");
    }
  }
}
