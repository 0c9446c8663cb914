package ai.gateway.api.kafka;

import java.util.HashMap;
import java.util.Map;

import ai.gateway.api.config.GatewayProperties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.util.backoff.FixedBackOff;

/**
 * A listener container materializing {@code ai.job-status} in a consumer group shared by every gateway instance
 * (the jobs' and the batch items' groups): from the earliest offset when the group is new (the topic is
 * compacted, so that is each job's last status); the group's session settings
 * ({@link GatewayProperties.Kafka#statusGroupConsumerSettings()}); offsets committed once per poll after its
 * records are applied ({@code AckMode.BATCH}: applying is idempotent, so a crash re-applies at most one poll,
 * which changes nothing, where a commit per record was a synchronous broker round trip for each of the two
 * statuses of every request); a record that cannot be applied retried every second until it is, so the
 * partition waits rather than skipping a job's end.
 */
public final class JobStatusListeners {

  private JobStatusListeners() {
  }

  public static ConcurrentMessageListenerContainer<String, byte[]> container(KafkaProperties kafka,
      GatewayProperties properties, String topic, String group, String clientId, MessageListener<String, byte[]> listener) {
    Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    config.putAll(properties.kafka().statusGroupConsumerSettings());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    DefaultKafkaConsumerFactory<String, byte[]> factory =
        new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    ContainerProperties container = new ContainerProperties(topic);
    container.setMessageListener(listener);
    container.setAckMode(ContainerProperties.AckMode.BATCH);
    ConcurrentMessageListenerContainer<String, byte[]> listeners = new ConcurrentMessageListenerContainer<>(factory, container);
    listeners.setCommonErrorHandler(new DefaultErrorHandler(new FixedBackOff(1_000, FixedBackOff.UNLIMITED_ATTEMPTS)));
    return listeners;
  }
}
