package ai.gateway.api.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.FieldViolation;
import ai.gateway.api.usage.UsageQueries.TopQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

class UsageQueriesTest {

  private static final Duration MAX = Duration.ofDays(366);
  private static final Instant NOW = Instant.parse("2026-11-28T10:15:30.123456789Z");
  private static final LocalDate TODAY = LocalDate.parse("2026-11-28");

  // --- instants

  @Test
  void shouldDefaultToMonthToDateRoundedUpToMicroseconds() {
    InstantRange range = UsageQueries.instantRange(query(), NOW, MAX);

    assertThat(range).isEqualTo(new InstantRange(Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-28T10:15:30.123457Z")));
  }

  @Test
  void shouldDefaultFromToTheMonthInWhichTheRangeEnds() {
    assertThat(UsageQueries.instantRange(query("to", "2026-12-01T00:00:00Z"), NOW, MAX).from())
        .isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
    assertThat(UsageQueries.instantRange(query("to", "2026-03-15T12:00:00Z"), NOW, MAX).from())
        .isEqualTo(Instant.parse("2026-03-01T00:00:00Z"));
    // at the very first instant of a month the default is the month before, never an empty range
    assertThat(UsageQueries.instantRange(query(), Instant.parse("2026-11-01T00:00:00Z"), MAX))
        .isEqualTo(new InstantRange(Instant.parse("2026-10-01T00:00:00Z"), Instant.parse("2026-11-01T00:00:00Z")));
  }

  @Test
  void shouldCutADefaultFromToTheMaximumRange() {
    InstantRange range = UsageQueries.instantRange(query(), Instant.parse("2026-11-28T10:00:00Z"), Duration.ofDays(1));

    assertThat(range.from()).isEqualTo(Instant.parse("2026-11-27T10:00:00Z"));
  }

  @Test
  void shouldAcceptInstantsWithOffsetsAndWithoutSeconds() {
    InstantRange range = UsageQueries.instantRange(query("from", "2026-11-01T01:00+01:00", "to", "2026-11-02T00:00:00.5-02:00"), NOW, MAX);

    assertThat(range).isEqualTo(new InstantRange(Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-02T02:00:00.5Z")));
  }

  @Test
  void shouldRoundBothEndsUpToWholeMicroseconds() {
    InstantRange range = UsageQueries.instantRange(query("from", "2026-11-01T00:00:00.0000001Z", "to", "2026-11-02T00:00:00.000000999Z"), NOW, MAX);

    assertThat(range).isEqualTo(new InstantRange(Instant.parse("2026-11-01T00:00:00.000001Z"), Instant.parse("2026-11-02T00:00:00.000001Z")));
  }

  @Test
  void shouldAcceptExactlyTheMaximumRangeAndRefuseOneMicrosecondMore() {
    assertThat(UsageQueries.instantRange(query("from", "2025-11-27T00:00:00Z", "to", "2026-11-28T00:00:00Z"), NOW, MAX).from())
        .isEqualTo(Instant.parse("2025-11-27T00:00:00Z"));

    assertThat(fields(() -> UsageQueries.instantRange(query("from", "2025-11-26T23:59:59.999999Z", "to", "2026-11-28T00:00:00Z"), NOW, MAX)))
        .containsExactly(new FieldViolation("from", "must be at most 366 days before to"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "yesterday", "2026-11-01", "2026-11-01T00:00:00", "2026-11-31T00:00:00Z", "1969-12-31T23:59:59Z",
      "+10000-01-01T00:00:00Z", "2026-11-01T00:00:00Z ", "1764547200", "2026-11-01T00:00:00Z'; drop table ai_usage; --"})
  void shouldRefuseAFromThatIsNotAnInstantInRange(String from) {
    assertThat(fields(() -> UsageQueries.instantRange(query("from", from), NOW, MAX)))
        .singleElement().satisfies(violation -> {
          assertThat(violation.field()).isEqualTo("from");
          // fixed text: the caller's value is never echoed
          assertThat(violation.message()).isEqualTo("must be an ISO-8601 instant with an offset, e.g. 2026-11-01T00:00:00Z,"
              + " between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z");
        });
  }

  @Test
  void shouldNameEveryBadParameterAtOnce() {
    assertThat(fields(() -> UsageQueries.instantRange(query("from", "x", "to", "y"), NOW, MAX)))
        .extracting(FieldViolation::field).containsExactlyInAnyOrder("from", "to");
    assertThat(fields(() -> UsageQueries.topQuery(query("from", "x", "limit", "0"), NOW, MAX)))
        .extracting(FieldViolation::field).containsExactlyInAnyOrder("from", "limit");
  }

  @Test
  void shouldRefuseAFromNotBeforeTo() {
    assertThat(fields(() -> UsageQueries.instantRange(query("from", "2026-11-02T00:00:00Z", "to", "2026-11-01T00:00:00Z"), NOW, MAX)))
        .containsExactly(new FieldViolation("from", "must be before to"));
    assertThat(fields(() -> UsageQueries.instantRange(query("from", "2026-11-01T00:00:00Z", "to", "2026-11-01T00:00:00Z"), NOW, MAX)))
        .extracting(FieldViolation::field).containsExactly("from");
    assertThat(fields(() -> UsageQueries.instantRange(query("from", "2026-12-01T00:00:00Z"), NOW, MAX)))
        .containsExactly(new FieldViolation("from", "must be before to (default: now)"));
  }

  @Test
  void shouldRefuseUnknownAndRepeatedParameters() {
    assertThat(fields(() -> UsageQueries.instantRange(query("start", "2026-11-01T00:00:00Z"), NOW, MAX)))
        .containsExactly(new FieldViolation("start", "is not a parameter of this endpoint; accepted: from, to"));
    assertThat(fields(() -> UsageQueries.instantRange(query("bad\r\nname", "1"), NOW, MAX)))
        .extracting(FieldViolation::field).containsExactly("(unprintable name)");
    assertThat(fields(() -> UsageQueries.instantRange(query("from", "2026-11-01T00:00:00Z", "from", "2026-11-02T00:00:00Z"), NOW, MAX)))
        .containsExactly(new FieldViolation("from", "must appear once"));
    assertThat(fields(() -> UsageQueries.instantRange(query("limit", "5"), NOW, MAX)))
        .extracting(FieldViolation::field).containsExactly("limit");
  }

  // --- limit

  @Test
  void shouldDefaultTheLimitToTenAndAcceptOneToHundred() {
    assertThat(UsageQueries.topQuery(query(), NOW, MAX).limit()).isEqualTo(10);
    assertThat(UsageQueries.topQuery(query("limit", "1"), NOW, MAX).limit()).isEqualTo(1);
    TopQuery top = UsageQueries.topQuery(query("limit", "100", "from", "2026-01-01T00:00:00Z", "to", "2026-02-01T00:00:00Z"), NOW, MAX);
    assertThat(top).isEqualTo(new TopQuery(new InstantRange(Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-02-01T00:00:00Z")), 100));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "101", "1000", "-1", "+5", " 5", "5.0", "abc", "", "99999999999999999999"})
  void shouldRefuseALimitOutOfBounds(String limit) {
    assertThat(fields(() -> UsageQueries.topQuery(query("limit", limit), NOW, MAX)))
        .containsExactly(new FieldViolation("limit", "must be an integer from 1 to 100"));
  }

  // --- days

  @Test
  void shouldMeanTodayWithoutDayParameters() {
    assertThat(UsageQueries.dayRange(query(), TODAY, MAX)).isEmpty();
  }

  @Test
  void shouldReadDaysAsAHalfOpenRange() {
    DayRange range = UsageQueries.dayRange(query("from", "2026-01-30", "to", "2026-02-02"), TODAY, MAX).orElseThrow();

    assertThat(range.days()).containsExactly(LocalDate.parse("2026-01-30"), LocalDate.parse("2026-01-31"), LocalDate.parse("2026-02-01"));
  }

  @Test
  void shouldDefaultDaysToIncludeTodayAndStartAtTheMonth() {
    assertThat(UsageQueries.dayRange(query("from", "2026-11-20"), TODAY, MAX).orElseThrow())
        .isEqualTo(new DayRange(LocalDate.parse("2026-11-20"), LocalDate.parse("2026-11-29")));
    assertThat(UsageQueries.dayRange(query("to", "2026-11-10"), TODAY, MAX).orElseThrow())
        .isEqualTo(new DayRange(LocalDate.parse("2026-11-01"), LocalDate.parse("2026-11-10")));
    assertThat(UsageQueries.dayRange(query("to", "2026-11-01"), TODAY, MAX).orElseThrow())
        .isEqualTo(new DayRange(LocalDate.parse("2026-10-01"), LocalDate.parse("2026-11-01")));
    assertThat(UsageQueries.dayRange(query("to", "2026-11-10"), TODAY, Duration.ofDays(3)).orElseThrow())
        .isEqualTo(new DayRange(LocalDate.parse("2026-11-07"), LocalDate.parse("2026-11-10")));
  }

  @Test
  void shouldBoundTheNumberOfDays() {
    assertThat(UsageQueries.dayRange(query("from", "2025-01-01", "to", "2026-01-02"), TODAY, MAX).orElseThrow().days()).hasSize(366);

    assertThat(fields(() -> UsageQueries.dayRange(query("from", "2025-01-01", "to", "2026-01-03"), TODAY, MAX)))
        .containsExactly(new FieldViolation("from", "must be at most 366 days before to"));
  }

  @Test
  void shouldRefuseBadDays() {
    for (String day : List.of("2026-1-1", "2026-02-30", "2026-11-01T00:00:00Z", "1969-12-31", "", "tomorrow")) {
      assertThat(fields(() -> UsageQueries.dayRange(query("from", day, "to", "2026-11-02"), TODAY, MAX)))
          .as(day).extracting(FieldViolation::field).containsExactly("from");
      assertThat(fields(() -> UsageQueries.dayRange(query("from", "2026-11-01", "to", day), TODAY, MAX)))
          .as(day).extracting(FieldViolation::field).containsExactly("to");
    }
    assertThat(fields(() -> UsageQueries.dayRange(query("from", "2026-11-02", "to", "2026-11-02"), TODAY, MAX)))
        .containsExactly(new FieldViolation("from", "must be before to"));
    assertThat(fields(() -> UsageQueries.dayRange(query("from", "2026-11-01", "from", "2026-11-02"), TODAY, MAX)))
        .containsExactly(new FieldViolation("from", "must appear once"));
    assertThat(fields(() -> UsageQueries.dayRange(query("date", "2026-11-01"), TODAY, MAX)))
        .extracting(FieldViolation::field).containsExactly("date");
  }

  private static List<FieldViolation> fields(Runnable parse) {
    Throwable thrown = catchThrowable(parse::run);
    assertThat(thrown).as("an ApiException").isInstanceOf(ApiException.class);
    ApiException failure = (ApiException) thrown;
    assertThat(failure.error().code()).isEqualTo(ErrorCode.INVALID_REQUEST);
    assertThat(failure.error().status()).isEqualTo(400);
    return failure.error().errors();
  }

  private static MultiValueMap<String, String> query(String... pairs) {
    MultiValueMap<String, String> query = new LinkedMultiValueMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      query.add(pairs[i], pairs[i + 1]);
    }
    return query;
  }
}
