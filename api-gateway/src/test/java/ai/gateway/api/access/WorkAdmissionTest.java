package ai.gateway.api.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import ai.gateway.api.config.GatewayProperties.RateLimit.Window;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.ratelimit.RateLimitDecision;
import ai.gateway.api.ratelimit.RateLimiter;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** The gating order, and that a rejected request costs nothing: pure logic, with a counting limiter. */
class WorkAdmissionTest {

  private static final Caller PRO = new Caller("pro", Set.of(Caller.AI_ACCESS));
  private static final Caller FREE = new Caller("free", Set.of());
  private static final Window MINUTE = new Window(Duration.ofMinutes(1), 2);

  private final List<String> steps = new ArrayList<>();
  private final CountingLimiter limiter = new CountingLimiter(2);
  private final StreamSlots slots = new StreamSlots(1);
  private final MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/v1/generate"));

  @Test
  void shouldCheckEntitlementBeforeValidationAndCountNothingForAFreeUser() {
    WorkAdmission admission = new WorkAdmission(caller(FREE), limiter, slots);

    StepVerifier.create(admission.admit(exchange, this::validate))
        .expectErrorSatisfies(e -> {
          ApiError error = ((ApiException) e).error();
          assertThat(error.code()).isEqualTo(ErrorCode.ENTITLEMENT_REQUIRED);
          assertThat(error.status()).isEqualTo(403);
          assertThat(error.detail()).isEqualTo("AI access requires Pro subscription");
        })
        .verify();

    assertThat(steps).isEmpty();
    assertThat(limiter.calls.get()).isZero();
  }

  @Test
  void shouldCountNothingForAnInvalidRequest() {
    WorkAdmission admission = new WorkAdmission(caller(PRO), limiter, slots);

    StepVerifier.create(admission.admit(exchange, caller -> Mono.error(ApiError.invalidField("prompt", "is required").exception())))
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.INVALID_REQUEST))
        .verify();

    assertThat(limiter.calls.get()).isZero();
  }

  @Test
  void shouldAdmitAfterValidationAndAnswer429WithRetryAfterOverTheLimit() {
    WorkAdmission admission = new WorkAdmission(caller(PRO), limiter, slots);

    for (int i = 0; i < 2; i++) {
      StepVerifier.create(admission.admit(exchange, this::validate))
          .assertNext(admitted -> {
            assertThat(admitted.caller()).isEqualTo(PRO);
            assertThat(admitted.request()).isEqualTo("valid");
          })
          .verifyComplete();
    }
    StepVerifier.create(admission.admit(exchange, this::validate))
        .expectErrorSatisfies(e -> {
          ApiError error = ((ApiException) e).error();
          assertThat(error.code()).isEqualTo(ErrorCode.RATE_LIMITED);
          assertThat(error.retryAfterSeconds()).isEqualTo(42);
          assertThat(error.detail()).isEqualTo("Too many requests: at most 2 per minute.");
        })
        .verify();
    assertThat(steps).containsExactly("validate", "validate", "validate");
  }

  @Test
  void shouldHoldAStreamSlotUntilTheStreamEndsAndCountNothingWhenNoneIsFree() {
    WorkAdmission admission = new WorkAdmission(caller(PRO), limiter, slots);
    Sinks.Empty<Void> end = Sinks.empty();

    // given: one open stream, the per-user maximum here
    StepVerifier.create(admission.admitStream(exchange, this::validate, admitted -> end.asMono().thenMany(Flux.just("done"))))
        .then(() -> {
          assertThat(slots.openStreams("pro")).isEqualTo(1);
          // when: another one
          StepVerifier.create(admission.admitStream(exchange, this::validate, admitted -> Flux.just("second")))
              .expectErrorSatisfies(e -> {
                assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.RATE_LIMITED);
                assertThat(((ApiException) e).error().detail()).contains("open streams");
              })
              .verify();
          // then: it cost no request
          assertThat(limiter.calls.get()).isEqualTo(1);
        })
        .then(end::tryEmitEmpty)
        .expectNext("done")
        .verifyComplete();

    assertThat(slots.openStreams("pro")).isZero();
  }

  @Test
  void shouldGiveTheSlotBackWhenTheClientLeavesOrTheLimitRejects() {
    WorkAdmission admission = new WorkAdmission(caller(PRO), limiter, slots);

    StepVerifier.create(admission.admitStream(exchange, this::validate, admitted -> Flux.never()))
        .expectSubscription()
        .then(() -> assertThat(slots.openStreams("pro")).isEqualTo(1))
        .thenCancel()
        .verify();
    assertThat(slots.openStreams("pro")).isZero();

    limiter.calls.set(2); // exhausted
    StepVerifier.create(admission.admitStream(exchange, this::validate, admitted -> Flux.never()))
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.RATE_LIMITED))
        .verify();
    assertThat(slots.openStreams()).isZero();
  }

  @Test
  void shouldAnswer401WhenTheRequestIsNotAuthenticated() {
    WorkAdmission admission = new WorkAdmission(new AuthenticatedIdentity(), limiter, slots);

    StepVerifier.create(admission.admit(exchange, this::validate))
        .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().status()).isEqualTo(401))
        .verify();
    assertThat(steps).isEmpty();
  }

  private Mono<String> validate(Caller caller) {
    return Mono.fromSupplier(() -> {
      steps.add("validate");
      return "valid";
    });
  }

  private static CallerIdentity caller(Caller caller) {
    return exchange -> Mono.just(caller);
  }

  /** Admits {@code limit} calls in all, then rejects with a Retry-After of 42 s. */
  private static final class CountingLimiter implements RateLimiter {

    final AtomicInteger calls = new AtomicInteger();
    private final int limit;

    CountingLimiter(int limit) {
      this.limit = limit;
    }

    @Override
    public Mono<RateLimitDecision> tryAcquire(String userId) {
      return Mono.fromSupplier(() -> calls.get() < limit && calls.incrementAndGet() <= limit
          ? new RateLimitDecision(true, Duration.ZERO, null)
          : new RateLimitDecision(false, Duration.ofSeconds(42), MINUTE));
    }
  }
}
