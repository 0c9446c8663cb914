package ai.gateway.api.access;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.ratelimit.RateLimiter;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.r2dbc.core.DatabaseClient;

@Configuration(proxyBeanMethods = false)
class AccessConfiguration {

  @Bean
  PostgresAccounts postgresAccounts(DatabaseClient db, GatewayProperties properties) {
    return new PostgresAccounts(db, properties.auth().lookupTimeout());
  }

  @Bean
  AccessCache accessCache(PostgresAccounts accounts, GatewayProperties properties) {
    return new AccessCache(accounts, properties.auth().cacheTtl());
  }

  @Bean
  CallerIdentity callerIdentity() {
    return new AuthenticatedIdentity();
  }

  @Bean
  StreamSlots streamSlots(GatewayProperties properties) {
    return new StreamSlots(properties.rateLimit().maxOpenStreams());
  }

  @Bean
  WorkAdmission workAdmission(CallerIdentity identity, RateLimiter limiter, StreamSlots slots) {
    return new WorkAdmission(identity, limiter, slots);
  }

  @Bean
  BodyLimitFilter bodyLimitFilter(GatewayProperties properties) {
    return new BodyLimitFilter(properties.maxBodySize().toBytes(), properties.batches().maxBodySize().toBytes());
  }

  /** The OpenAPI document says how {@code /v1} authenticates: a bearer JWT or API key on every operation. */
  @Bean
  OpenApiCustomizer bearerAuthentication() {
    return openApi -> {
      openApi.schemaRequirement("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
          .description("A JWT (HS256 or the issuer's keys; iss, aud and exp checked) or an API key (aig_...)."));
      openApi.addSecurityItem(new SecurityRequirement().addList("bearer"));
    };
  }

  /** Seeded users and their keys exist for a laptop run only: never in any other profile. */
  @Bean
  @Profile("local")
  LocalUsers localUsers(PostgresAccounts accounts, AccessCache cache) {
    return new LocalUsers(accounts, cache);
  }
}
