package ai.gateway.api.usage;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.FieldViolation;
import org.jspecify.annotations.Nullable;
import org.springframework.util.MultiValueMap;

/**
 * Turns the query parameters of the usage endpoints into ranges, with the defaults and bounds the API
 * documents, or into one 400 {@code INVALID_REQUEST} naming every bad parameter. Pure logic: the clock's
 * reading comes in as an argument.
 *
 * <ul>
 *   <li>{@code from} is inclusive, {@code to} exclusive, for instants and for days alike.</li>
 *   <li>{@code to} defaults to now (days: tomorrow, so that today is included); {@code from} to the start of
 *       the UTC calendar month in which the range ends, so a bare {@code GET /v1/usage} is month-to-date.</li>
 *   <li>A range may span at most {@code gateway.usage.max-range}; a default {@code from} is cut to fit.</li>
 *   <li>Instants are ISO-8601 with an offset ({@code 2026-11-01T00:00:00Z}, {@code …+01:00}), between 1970 and
 *       the end of 9999; they are rounded up to whole microseconds, PostgreSQL's precision, so that no row
 *       falls on the wrong side of a boundary by rounding. Days are {@code yyyy-MM-dd}, UTC.</li>
 *   <li>Unknown and repeated parameters are refused rather than ignored: {@code ?start=} silently answering
 *       month-to-date would be a wrong answer, not a convenience.</li>
 * </ul>
 */
final class UsageQueries {

  static final String FROM = "from";
  static final String TO = "to";
  static final String LIMIT = "limit";
  static final int DEFAULT_TOP_LIMIT = 10;
  static final int MAX_TOP_LIMIT = 100;

  static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
  /** Exclusive: the first instant of year 10000. */
  static final Instant END = LocalDate.of(10_000, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant();
  static final LocalDate EARLIEST_DAY = LocalDate.of(1970, 1, 1);
  static final LocalDate LATEST_DAY = LocalDate.of(9999, 12, 31);

  private static final int MAX_VALUE_LENGTH = 64;
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_.$-]{1,64}");
  private static final String INSTANT_FORMAT =
      "must be an ISO-8601 instant with an offset, e.g. 2026-11-01T00:00:00Z, between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z";
  private static final String DAY_FORMAT = "must be a date yyyy-MM-dd (UTC) between 1970-01-01 and 9999-12-31";

  private UsageQueries() {
  }

  /** A top-users query: a range and how many users. */
  record TopQuery(InstantRange range, int limit) {
  }

  /** {@code from} and {@code to} of {@code GET /v1/usage} and {@code GET /admin/usage/users/{id}}. */
  static InstantRange instantRange(MultiValueMap<String, String> query, Instant now, Duration maxRange) {
    Parameters parameters = new Parameters(query, Set.of(FROM, TO));
    InstantRange range = instantRange(parameters, now, maxRange);
    parameters.throwIfInvalid();
    return Objects.requireNonNull(range);
  }

  /** {@code from}, {@code to} and {@code limit} (1 to 100, default 10) of {@code GET /admin/usage/top}. */
  static TopQuery topQuery(MultiValueMap<String, String> query, Instant now, Duration maxRange) {
    Parameters parameters = new Parameters(query, Set.of(FROM, TO, LIMIT));
    InstantRange range = instantRange(parameters, now, maxRange);
    int limit = limit(parameters);
    parameters.throwIfInvalid();
    return new TopQuery(Objects.requireNonNull(range), limit);
  }

  /**
   * {@code from} and {@code to} dates of {@code GET /v1/usage/daily}: empty when neither is given (the answer
   * is then today's total alone). At most {@code maxRange} whole days.
   */
  static Optional<DayRange> dayRange(MultiValueMap<String, String> query, LocalDate today, Duration maxRange) {
    Parameters parameters = new Parameters(query, Set.of(FROM, TO));
    boolean given = parameters.value(FROM) != null || parameters.value(TO) != null;
    DayRange range = given ? dayRange(parameters, today, maxRange.toDays()) : null;
    parameters.throwIfInvalid();
    return Optional.ofNullable(range);
  }

  private static @Nullable DayRange dayRange(Parameters parameters, LocalDate today, long maxDays) {
    String toText = parameters.value(TO);
    LocalDate to = toText == null ? today.plusDays(1) : day(toText);
    if (to == null || !to.isAfter(EARLIEST_DAY)) {
      parameters.reject(TO, DAY_FORMAT + ", after 1970-01-01");
      to = null;
    }
    String fromText = parameters.value(FROM);
    LocalDate from = fromText == null ? null : day(fromText);
    if (fromText != null && from == null) {
      parameters.reject(FROM, DAY_FORMAT);
      return null;
    }
    if (to == null) {
      return null;
    }
    if (from == null) {
      return new DayRange(latest(to.minusDays(1).withDayOfMonth(1), to.minusDays(maxDays), EARLIEST_DAY), to);
    }
    if (!from.isBefore(to)) {
      parameters.reject(FROM, "must be before to" + (toText == null ? " (default: tomorrow, so that today is included)" : ""));
      return null;
    }
    if (from.plusDays(maxDays).isBefore(to)) {
      parameters.reject(FROM, "must be at most " + maxDays + " days before to");
      return null;
    }
    return new DayRange(from, to);
  }

  private static @Nullable InstantRange instantRange(Parameters parameters, Instant now, Duration maxRange) {
    String toText = parameters.value(TO);
    Instant to = toText == null ? ceilToMicros(now) : instant(toText);
    if (to != null && (!to.isAfter(EARLIEST) || to.isAfter(END))) {
      to = null;
    }
    if (to == null) {
      // Unparseable, out of bounds, or (with no `to`) a clock before 1970: the only parameter to blame is `to`.
      parameters.reject(TO, INSTANT_FORMAT);
    }
    String fromText = parameters.value(FROM);
    Instant from = fromText == null ? null : instant(fromText);
    if (from != null && (from.isBefore(EARLIEST) || !from.isBefore(END))) {
      from = null;
    }
    if (fromText != null && from == null) {
      parameters.reject(FROM, INSTANT_FORMAT);
      return null;
    }
    if (to == null) {
      return null;
    }
    if (from == null) {
      return new InstantRange(latest(startOfMonth(to.minusNanos(1)), to.minus(maxRange), EARLIEST), to);
    }
    if (!from.isBefore(to)) {
      parameters.reject(FROM, "must be before to" + (toText == null ? " (default: now)" : ""));
      return null;
    }
    if (Duration.between(from, to).compareTo(maxRange) > 0) {
      parameters.reject(FROM, "must be at most " + describe(maxRange) + " before to");
      return null;
    }
    return new InstantRange(from, to);
  }

  private static int limit(Parameters parameters) {
    String text = parameters.value(LIMIT);
    if (text == null) {
      return DEFAULT_TOP_LIMIT;
    }
    // Digits only, and few of them: no sign, no whitespace, no overflow.
    if (text.length() <= 3 && !text.isEmpty() && text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      int limit = Integer.parseInt(text);
      if (limit >= 1 && limit <= MAX_TOP_LIMIT) {
        return limit;
      }
    }
    parameters.reject(LIMIT, "must be an integer from 1 to " + MAX_TOP_LIMIT);
    return DEFAULT_TOP_LIMIT;
  }

  /** PostgreSQL keeps microseconds; rounding both ends up keeps {@code [from, to)} exact on that grid. */
  static Instant ceilToMicros(Instant instant) {
    Instant truncated = instant.truncatedTo(ChronoUnit.MICROS);
    return truncated.equals(instant) ? instant : truncated.plus(1, ChronoUnit.MICROS);
  }

  private static @Nullable Instant instant(String text) {
    if (text.length() > MAX_VALUE_LENGTH) {
      return null;
    }
    try {
      return ceilToMicros(OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static @Nullable LocalDate day(String text) {
    if (text.length() > MAX_VALUE_LENGTH) {
      return null;
    }
    try {
      LocalDate day = LocalDate.parse(text, DateTimeFormatter.ISO_LOCAL_DATE);
      return day.isBefore(EARLIEST_DAY) || day.isAfter(LATEST_DAY) ? null : day;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Instant startOfMonth(Instant instant) {
    return instant.atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  @SafeVarargs
  private static <T extends Comparable<? super T>> T latest(T first, T... others) {
    T latest = first;
    for (T other : others) {
      if (other.compareTo(latest) > 0) {
        latest = other;
      }
    }
    return latest;
  }

  static String describe(Duration duration) {
    if (duration.equals(Duration.ofDays(duration.toDays()))) {
      return duration.toDays() == 1 ? "1 day" : duration.toDays() + " days";
    }
    if (duration.equals(Duration.ofHours(duration.toHours()))) {
      return duration.toHours() + " hours";
    }
    return duration.toSeconds() + " seconds";
  }

  /** The query parameters of one request: each accepted one at most once, no others; violations collected. */
  private static final class Parameters {

    private final MultiValueMap<String, String> query;
    private final List<FieldViolation> violations = new ArrayList<>();

    Parameters(MultiValueMap<String, String> query, Set<String> accepted) {
      this.query = query;
      List<String> names = accepted.stream().sorted().toList();
      for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
        String name = parameter.getKey();
        if (!accepted.contains(name)) {
          // A name the caller invented is echoed only when it is plain text.
          reject(SAFE_NAME.matcher(name).matches() ? name : "(unprintable name)",
              "is not a parameter of this endpoint; accepted: " + String.join(", ", names));
        } else if (parameter.getValue().size() != 1) {
          reject(name, "must appear once");
        }
      }
    }

    /** The parameter's one value; null when absent or repeated (a repeated one is already a violation). */
    @Nullable String value(String name) {
      List<String> values = query.get(name);
      if (values == null || values.size() != 1) {
        return null;
      }
      String value = values.get(0);
      return value == null ? "" : value;
    }

    void reject(String name, String message) {
      violations.add(new FieldViolation(name, message));
    }

    void throwIfInvalid() {
      if (!violations.isEmpty()) {
        throw ApiError.invalid(violations.size() == 1 ? "The request has an invalid parameter."
            : "The request has invalid parameters.", violations).exception();
      }
    }
  }
}
