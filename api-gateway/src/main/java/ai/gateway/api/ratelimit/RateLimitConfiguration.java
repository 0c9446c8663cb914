package ai.gateway.api.ratelimit;

import ai.gateway.api.config.GatewayProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;

@Configuration(proxyBeanMethods = false)
class RateLimitConfiguration {

  /** {@code gateway.rate-limit.store}: {@code memory} for one instance, {@code postgres} for several. */
  @Bean
  RateLimiter rateLimiter(GatewayProperties properties, DatabaseClient db, ReactiveTransactionManager transactions) {
    GatewayProperties.RateLimit limits = properties.rateLimit();
    SlidingWindowLog algorithm = new SlidingWindowLog(limits.windows());
    return switch (limits.store()) {
      case MEMORY -> new InMemoryRateLimiter(algorithm, InMemoryRateLimiter.monotonicMicros());
      case POSTGRES -> new PostgresRateLimiter(db, TransactionalOperator.create(transactions), algorithm, limits.timeout(),
          limits.retryAfter());
    };
  }
}
