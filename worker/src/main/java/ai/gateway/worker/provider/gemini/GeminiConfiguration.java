package ai.gateway.worker.provider.gemini;

import ai.gateway.worker.provider.ConditionalOnProviderKey;
import ai.gateway.worker.provider.ProviderProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** The Gemini adapter exists only when a key resolves ({@code GEMINI_API_KEY}). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProviderKey(GeminiAdapter.NAME)
class GeminiConfiguration {

  @Bean
  GeminiAdapter geminiAdapter(Environment environment) {
    return new GeminiAdapter(ProviderProperties.bind(environment, GeminiAdapter.NAME));
  }
}
