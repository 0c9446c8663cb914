package ai.gateway.api.providers;

import java.util.HashMap;
import java.util.Map;

import ai.gateway.api.config.InstanceId;
import ai.gateway.api.config.TopicsProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class ProvidersConfiguration {

  @Bean
  ProviderDirectory providerDirectory() {
    return new ProviderDirectory();
  }

  @Bean
  KafkaProviderFeed providerFeed(KafkaProperties kafka, TopicsProperties topics, InstanceId instance,
                                 ProviderDirectory directory) {
    Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
    // No group: every instance reads the whole compacted topic and never commits.
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, instance.value() + "-providers");
    return new KafkaProviderFeed(() -> new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer()),
        topics.providers(), directory);
  }
}
