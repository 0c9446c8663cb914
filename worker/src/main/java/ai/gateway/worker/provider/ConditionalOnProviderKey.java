package ai.gateway.worker.provider;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * On an adapter package's configuration: creates its beans only when the provider's key resolves
 * ({@code worker.providers.<name>.api-key}, or the local profile's fallback key). That is what "the provider
 * is configured" means; without a key the adapter does not exist, the registry does not list it, and jobs
 * asking for it fail with {@code PROVIDER_NOT_CONFIGURED} before any HTTP call.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Conditional(ConditionalOnProviderKey.KeyCondition.class)
public @interface ConditionalOnProviderKey {

  /** The provider's name, the key under {@code worker.providers}. */
  String value();

  final class KeyCondition extends SpringBootCondition {

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      Map<String, Object> attributes = metadata.getAnnotationAttributes(ConditionalOnProviderKey.class.getName());
      String provider = String.valueOf(attributes == null ? "" : attributes.get("value"));
      return ProviderProperties.keyConfigured(context.getEnvironment(), provider)
          ? ConditionOutcome.match("a key is set for provider " + provider)
          : ConditionOutcome.noMatch("no key for provider " + provider + " (" + ProviderProperties.PREFIX + provider
              + ".api-key)");
    }
  }
}
