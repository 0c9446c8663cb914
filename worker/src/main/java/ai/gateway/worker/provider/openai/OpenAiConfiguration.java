package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.ConditionalOnProviderKey;
import ai.gateway.worker.provider.ProviderProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** The OpenAI adapter exists only when a key resolves: that is what "OpenAI is configured" means. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProviderKey(OpenAiAdapter.NAME)
class OpenAiConfiguration {

  @Bean
  OpenAiAdapter openAiAdapter(Environment environment) {
    return new OpenAiAdapter(ProviderProperties.bind(environment, OpenAiAdapter.NAME));
  }
}
