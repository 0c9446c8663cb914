package ai.gateway.api.usage;

import java.time.Clock;

import ai.gateway.api.config.GatewayProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;

@Configuration(proxyBeanMethods = false)
class UsageConfiguration {

  @Bean
  PostgresUsage postgresUsage(DatabaseClient db, GatewayProperties properties) {
    return new PostgresUsage(db, properties.usage().queryTimeout());
  }

  @Bean
  DailyTokens dailyTokens(PostgresUsage usage, Clock clock, GatewayProperties properties) {
    return new PostgresDailyTokens(usage, clock, properties.usage().dailyTokensCacheTtl());
  }
}
