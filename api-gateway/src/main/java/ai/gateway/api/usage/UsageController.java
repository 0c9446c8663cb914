package ai.gateway.api.usage;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import ai.gateway.api.access.CallerIdentity;
import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.usage.PostgresUsage.DayTotals;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/usage} and {@code GET /v1/usage/daily}: the caller's own usage. The user is always the
 * authenticated caller, never a parameter. Reading usage needs authentication only: no {@code ai_access}
 * (a Free user may see what they used), and it is not creating work, so it does not count against the rate
 * limits.
 */
@RestController
@Tag(name = "usage", description = "The caller's own usage: requests, tokens and cost")
final class UsageController {

  private final CallerIdentity identity;
  private final PostgresUsage usage;
  private final Clock clock;
  private final Duration maxRange;

  UsageController(CallerIdentity identity, PostgresUsage usage, Clock clock, GatewayProperties properties) {
    this.identity = identity;
    this.usage = usage;
    this.clock = clock;
    this.maxRange = properties.usage().maxRange();
  }

  /** What {@code GET /v1/usage/daily} answers: today's total, or a list of days. */
  sealed interface DailyBody permits TodayBody, DaysBody {
  }

  /** Today's (UTC) tokens: the spec's {@code getUserDailyTokens}. */
  record TodayBody(LocalDate date, long tokens) implements DailyBody {
  }

  record DaysBody(List<DayBody> days) implements DailyBody {

    DaysBody {
      days = List.copyOf(days);
    }
  }

  record DayBody(LocalDate date, long tokens, long requests, BigDecimal costUsd) {
  }

  @GetMapping(path = "/v1/usage", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "The caller's usage in [from, to), in total and by provider",
      description = "Counted from the per-call ledger: every provider call is one request. Needs authentication only"
          + " (no ai_access). Ranges longer than gateway.usage.max-range (366 days by default) are refused.",
      parameters = {
          @Parameter(name = "from", in = ParameterIn.QUERY, description = "Inclusive ISO-8601 instant with offset;"
              + " default: the start of the UTC month in which the range ends", schema = @Schema(type = "string", format = "date-time")),
          @Parameter(name = "to", in = ParameterIn.QUERY, description = "Exclusive ISO-8601 instant with offset; default: now",
              schema = @Schema(type = "string", format = "date-time"))},
      responses = {
          @ApiResponse(responseCode = "200", description = "Totals and byProvider (providers without calls are absent)",
              content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = UsageBody.class))),
          @ApiResponse(responseCode = "default", description = "RFC 9457 problem details; 400 names the bad parameter",
              content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE))})
  Mono<UsageBody> usage(ServerWebExchange exchange) {
    return identity.resolve(exchange).flatMap(caller -> {
      InstantRange range = UsageQueries.instantRange(exchange.getRequest().getQueryParams(), clock.instant(), maxRange);
      return usage.byProvider(caller.userId(), range).map(byProvider -> UsageBody.of(range, byProvider));
    });
  }

  @GetMapping(path = "/v1/usage/daily", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "The caller's tokens today (UTC), or per day of [from, to)",
      description = "Without parameters: {date, tokens} of today (UTC). With from and/or to (dates, from inclusive,"
          + " to exclusive): {days: [{date, tokens, requests, costUsd}]}, one entry per day, zeros included, at most"
          + " gateway.usage.max-range days. From the aggregator's daily totals, over every provider and model.",
      parameters = {
          @Parameter(name = "from", in = ParameterIn.QUERY, description = "Inclusive UTC date yyyy-MM-dd;"
              + " default: the first day of the month in which the range ends", schema = @Schema(type = "string", format = "date")),
          @Parameter(name = "to", in = ParameterIn.QUERY, description = "Exclusive UTC date yyyy-MM-dd; default: tomorrow"
              + " (today included)", schema = @Schema(type = "string", format = "date"))},
      responses = {
          @ApiResponse(responseCode = "200", description = "Today's tokens, or the days of the range",
              content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE,
                  schema = @Schema(oneOf = {TodayBody.class, DaysBody.class}))),
          @ApiResponse(responseCode = "default", description = "RFC 9457 problem details; 400 names the bad parameter",
              content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE))})
  Mono<DailyBody> daily(ServerWebExchange exchange) {
    return identity.resolve(exchange).flatMap(caller -> {
      LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
      return UsageQueries.dayRange(exchange.getRequest().getQueryParams(), today, maxRange)
          .<Mono<DailyBody>>map(range -> usage.days(caller.userId(), range).map(days -> dense(range, days)))
          .orElseGet(() -> usage.tokensOn(caller.userId(), today).map(tokens -> new TodayBody(today, tokens)));
    });
  }

  /** Every day of the range, with zeros where the table has no row: a chart needs no gaps filled. */
  private static DaysBody dense(DayRange range, List<DayTotals> days) {
    Map<LocalDate, Totals> byDay = days.stream().collect(Collectors.toMap(DayTotals::day, DayTotals::totals));
    return new DaysBody(range.days().stream()
        .map(day -> dayBody(day, byDay.getOrDefault(day, Totals.NONE)))
        .toList());
  }

  private static DayBody dayBody(LocalDate day, Totals totals) {
    return new DayBody(day, totals.totalTokens(), totals.requests(), UsageBody.usd(totals.costMicroUsd()));
  }
}
