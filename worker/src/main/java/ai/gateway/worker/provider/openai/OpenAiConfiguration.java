package ai.gateway.worker.provider.openai;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** The OpenAI adapter exists only when a key resolves: that is what "OpenAI is configured" means. */
@Configuration(proxyBeanMethods = false)
@Conditional(OpenAiConfiguration.KeyConfigured.class)
class OpenAiConfiguration {

  @Bean
  OpenAiAdapter openAiAdapter(OpenAiProperties properties) {
    return new OpenAiAdapter(properties);
  }

  static final class KeyConfigured extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      boolean configured = Binder.get(context.getEnvironment())
          .bind("worker.providers.openai", OpenAiProperties.class)
          .map(OpenAiProperties::configured)
          .orElse(false);
      return configured
          ? ConditionOutcome.match("an OpenAI API key is set")
          : ConditionOutcome.noMatch("no OpenAI API key (worker.providers.openai.api-key / OPENAI_API_KEY)");
    }
  }
}
