package ai.gateway.api.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import ai.gateway.api.config.GatewayProperties.RateLimit.Window;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class InMemoryRateLimiterTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final InMemoryRateLimiter limiter = new InMemoryRateLimiter(
      new SlidingWindowLog(List.of(new Window(Duration.ofSeconds(2), 10), new Window(Duration.ofSeconds(12), 60))), now::get);

  @Test
  void shouldAdmitExactlyTheLimitWhenManyThreadsAskAtOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Boolean>> results = java.util.stream.IntStream.range(0, 200)
          .mapToObj(i -> pool.submit(() -> {
            start.await();
            return limiter.decide("u1").admitted();
          }))
          .toList();
      start.countDown();
      long admitted = 0;
      for (Future<Boolean> result : results) {
        admitted += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertThat(admitted).isEqualTo(10);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shouldCountUsersSeparatelyAndAnswerRetryAfterFromTheLog() {
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.decide("u1").admitted()).isTrue();
    }
    now.addAndGet(500_000); // 0.5 s later

    StepVerifier.create(limiter.tryAcquire("u1"))
        .assertNext(decision -> {
          assertThat(decision.admitted()).isFalse();
          assertThat(decision.retryAfter()).isEqualTo(Duration.ofMillis(1_500));
        })
        .verifyComplete();
    assertThat(limiter.decide("u2").admitted()).isTrue();

    now.addAndGet(1_500_000);
    assertThat(limiter.decide("u1").admitted()).isTrue();
  }
}
