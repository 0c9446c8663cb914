package ai.gateway.api.usage;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import ai.gateway.api.access.UserIds;
import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.usage.PostgresUsage.UserTotals;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The design's admin usage views, behind {@code gateway.admin.token} (the {@code /admin} security chain):
 * one user's usage, the same body as {@code GET /v1/usage}, and the users with the highest cost of a range.
 * Same parameters, defaults and bounds as {@code /v1/usage}.
 */
@RestController
@RequestMapping("/admin/usage")
final class AdminUsageController {

  private final PostgresUsage usage;
  private final Clock clock;
  private final Duration maxRange;

  AdminUsageController(PostgresUsage usage, Clock clock, GatewayProperties properties) {
    this.usage = usage;
    this.clock = clock;
    this.maxRange = properties.usage().maxRange();
  }

  /** {@code users} in order of cost, highest first (ties: more tokens first, then user id). */
  record TopBody(Instant from, Instant to, int limit, List<TopUser> users) {

    TopBody {
      users = List.copyOf(users);
    }
  }

  record TopUser(String userId, long requests, long tokens, long promptTokens, long completionTokens, BigDecimal costUsd) {

    static TopUser of(UserTotals user) {
      Totals totals = user.totals();
      return new TopUser(user.userId(), totals.requests(), totals.totalTokens(), totals.promptTokens(),
          totals.completionTokens(), UsageBody.usd(totals.costMicroUsd()));
    }
  }

  /** A user's usage; 404 for a user the gateway does not know. */
  @GetMapping(path = "/users/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<UsageBody> user(@PathVariable String id, ServerWebExchange exchange) {
    MultiValueMap<String, String> query = exchange.getRequest().getQueryParams();
    return Mono.fromCallable(() -> UsageQueries.instantRange(query, clock.instant(), maxRange))
        .flatMap(range -> (UserIds.isValid(id) ? usage.userExists(id) : Mono.just(false))
            .flatMap(known -> known ? usage.byProvider(id, range).map(byProvider -> UsageBody.of(range, byProvider))
                : Mono.<UsageBody>error(ApiError.of(ErrorCode.NOT_FOUND, "No such user.").exception())));
  }

  /** The top users by cost; {@code limit} 1 to 100, default 10. */
  @GetMapping(path = "/top", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<TopBody> top(ServerWebExchange exchange) {
    MultiValueMap<String, String> query = exchange.getRequest().getQueryParams();
    return Mono.fromCallable(() -> UsageQueries.topQuery(query, clock.instant(), maxRange))
        .flatMap(top -> usage.top(top.range(), top.limit())
            .map(users -> new TopBody(top.range().from(), top.range().to(), top.limit(),
                users.stream().map(TopUser::of).toList())));
  }
}
