package ai.gateway.api.access;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.Secret;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.authentication.AuthenticationWebFilter;
import org.springframework.security.web.server.authentication.ServerAuthenticationEntryPointFailureHandler;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.security.web.server.util.matcher.ServerWebExchangeMatchers;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * Three filter chains, by path: {@code /admin/**} needs the admin token; {@code /v1/**} needs a JWT or an
 * API key, through Spring Security's OAuth2 resource server (its bearer-token filter and Nimbus decoder,
 * with {@link CallerAuthenticationManager} choosing JWT or key); everything else (health, metrics, OpenAPI,
 * unknown paths, which answer 404) is open. Stateless: no session, no saved request, no CSRF (no cookies).
 * Every refusal goes through {@link ProblemEntryPoint} to the problem handler.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
class SecurityConfiguration {

  @Bean
  ReactiveJwtDecoder jwtDecoder(GatewayProperties properties, Environment environment) {
    // The first bean that needs credentials: a start without real ones stops here.
    CredentialsCheck.verify(properties.auth(), properties.admin(), properties.callbacks(), environment.matchesProfiles("local", "test"));
    return JwtDecoders.create(properties.auth().jwt(), WebClient.builder());
  }

  /**
   * No Micrometer observations of the security filter chain, its authentications and authorizations: a profile
   * under load put a quarter of the request-handling CPU in Spring Security, a third of that in the observation
   * decorators wrapped around every filter. {@code http.server.requests} (WebFlux's own observation) still times
   * every request.
   */
  @Bean
  SecurityObservationSettings securityObservationSettings() {
    return SecurityObservationSettings.noObservations();
  }

  @Bean
  ProblemEntryPoint problemEntryPoint() {
    return new ProblemEntryPoint();
  }

  @Bean
  BearerCredentials bearerCredentials() {
    return new BearerCredentials();
  }

  @Bean
  @Order(1)
  SecurityWebFilterChain adminChain(ServerHttpSecurity http, GatewayProperties properties, ReactiveJwtDecoder checkedFirst,
                                    ProblemEntryPoint entryPoint, BearerCredentials credentials) {
    Secret token = properties.admin().token();
    if (token == null) {
      throw new IllegalStateException("gateway.admin.token is not set");
    }
    AuthenticationWebFilter admin = new AuthenticationWebFilter(new AdminAuthenticationManager(token));
    admin.setServerAuthenticationConverter(credentials);
    admin.setAuthenticationFailureHandler(new ServerAuthenticationEntryPointFailureHandler(entryPoint));
    return stateless(http)
        .securityMatcher(ServerWebExchangeMatchers.pathMatchers("/admin", "/admin/**"))
        .addFilterAt(admin, SecurityWebFiltersOrder.AUTHENTICATION)
        .authorizeExchange(exchanges -> exchanges.anyExchange().hasRole("ADMIN"))
        .exceptionHandling(handling -> handling.authenticationEntryPoint(entryPoint).accessDeniedHandler(entryPoint))
        .build();
  }

  @Bean
  @Order(2)
  SecurityWebFilterChain apiChain(ServerHttpSecurity http, ReactiveJwtDecoder jwtDecoder, AccessCache cache,
                                  ProblemEntryPoint entryPoint, BearerCredentials credentials) {
    // Not a bean: a ReactiveAuthenticationManager bean would become Spring Security's default for every chain.
    CallerAuthenticationManager callers = new CallerAuthenticationManager(jwtDecoder, cache);
    return stateless(http)
        .securityMatcher(ServerWebExchangeMatchers.pathMatchers("/v1", "/v1/**"))
        .authorizeExchange(exchanges -> exchanges.anyExchange().authenticated())
        .oauth2ResourceServer(resourceServer -> resourceServer
            .authenticationManagerResolver(exchange -> Mono.just(callers))
            .bearerTokenConverter(credentials)
            .authenticationEntryPoint(entryPoint)
            .accessDeniedHandler(entryPoint))
        .exceptionHandling(handling -> handling.authenticationEntryPoint(entryPoint).accessDeniedHandler(entryPoint))
        .build();
  }

  @Bean
  @Order(3)
  SecurityWebFilterChain openChain(ServerHttpSecurity http) {
    return stateless(http)
        .authorizeExchange(exchanges -> exchanges.anyExchange().permitAll())
        .build();
  }

  private static ServerHttpSecurity stateless(ServerHttpSecurity http) {
    return http
        .csrf(ServerHttpSecurity.CsrfSpec::disable)
        .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
        .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
        .logout(ServerHttpSecurity.LogoutSpec::disable)
        .anonymous(ServerHttpSecurity.AnonymousSpec::disable)
        .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
        .securityContextRepository(NoOpServerSecurityContextRepository.getInstance());
  }
}
