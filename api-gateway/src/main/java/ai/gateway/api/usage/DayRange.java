package ai.gateway.api.usage;

import java.time.LocalDate;
import java.util.List;

/** UTC days {@code [from, to)}: {@code to} is the first day not included, as {@code to} of an {@link InstantRange}. */
record DayRange(LocalDate from, LocalDate to) {

  DayRange {
    if (!from.isBefore(to)) {
      throw new IllegalArgumentException("from must be before to");
    }
  }

  /** Every day of the range, in order. */
  List<LocalDate> days() {
    return from.datesUntil(to).toList();
  }
}
