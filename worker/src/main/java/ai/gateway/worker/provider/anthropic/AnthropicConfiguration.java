package ai.gateway.worker.provider.anthropic;

import ai.gateway.worker.provider.ConditionalOnProviderKey;
import ai.gateway.worker.provider.ProviderProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** The Anthropic adapter exists only when a key resolves ({@code ANTHROPIC_API_KEY}). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProviderKey(AnthropicAdapter.NAME)
class AnthropicConfiguration {

  @Bean
  AnthropicAdapter anthropicAdapter(Environment environment) {
    return new AnthropicAdapter(ProviderProperties.bind(environment, AnthropicAdapter.NAME));
  }
}
