package ai.gateway.api.access;

import ai.gateway.api.config.GatewayProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class AccessConfiguration {

  @Bean
  @ConditionalOnMissingBean(CallerIdentity.class)
  CallerIdentity developmentIdentity(GatewayProperties properties) {
    return new DevelopmentIdentity(properties.devUserId());
  }

  @Bean
  BodyLimitFilter bodyLimitFilter(GatewayProperties properties) {
    return new BodyLimitFilter(properties.maxBodySize().toBytes());
  }
}
