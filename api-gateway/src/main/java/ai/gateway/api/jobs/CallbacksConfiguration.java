package ai.gateway.api.jobs;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.InstanceId;
import ai.gateway.api.config.TopicsProperties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.kafka.annotation.EnableKafkaRetryTopic;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.retrytopic.RetryTopicConfiguration;
import org.springframework.kafka.retrytopic.RetryTopicConfigurationBuilder;
import org.springframework.kafka.retrytopic.RetryTopicSchedulerWrapper;
import org.springframework.kafka.retrytopic.SameIntervalTopicReuseStrategy;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import tools.jackson.databind.json.JsonMapper;

/**
 * Callback delivery: a Kafka template for {@code ai.callbacks}, the retry topics (spring-kafka non-blocking
 * retries: one topic per delay, consumers pause a partition until its head is due) and the HTTP client.
 */
@Configuration(proxyBeanMethods = false)
@EnableKafkaRetryTopic
class CallbacksConfiguration {

  @Bean
  KafkaTemplate<String, String> callbackKafkaTemplate(KafkaProperties kafka, InstanceId instance, GatewayProperties gateway) {
    Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
    config.put(ProducerConfig.CLIENT_ID_CONFIG, instance.value() + "-callbacks");
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) gateway.kafka().publishTimeout().toMillis());
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(1_000, gateway.kafka().publishTimeout().toMillis()));
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(500, gateway.kafka().publishTimeout().toMillis() / 2));
    return new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(config, new StringSerializer(), new StringSerializer()));
  }

  @Bean
  RetryTopicConfiguration callbackRetryTopics(KafkaTemplate<String, String> callbackKafkaTemplate,
                                              GatewayProperties gateway, TopicsProperties topics) {
    GatewayProperties.Callbacks settings = gateway.callbacks();
    return RetryTopicConfigurationBuilder.newInstance()
        .maxAttempts(settings.maxAttempts())
        .exponentialBackoff(settings.initialDelay().toMillis(), settings.multiplier(), settings.maxDelay().toMillis())
        .sameIntervalTopicReuseStrategy(SameIntervalTopicReuseStrategy.SINGLE_TOPIC)
        .includeTopic(topics.callbacks())
        .autoCreateTopicsWith(topics.partitions(), topics.replicationFactor())
        .retryOn(CallbackDelivery.AttemptFailed.class)
        .create(callbackKafkaTemplate);
  }

  /** Resumes paused retry-topic partitions when their head record is due; kept out of any shared scheduler. */
  @Bean
  RetryTopicSchedulerWrapper callbackRetryScheduler() {
    ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
    scheduler.setThreadNamePrefix("callback-retry-");
    scheduler.initialize();
    return new RetryTopicSchedulerWrapper(scheduler);
  }

  @Bean
  CallbackSender callbackSender(GatewayProperties gateway) {
    GatewayProperties.Callbacks settings = gateway.callbacks();
    // Netty's asynchronous DNS resolver (it reads /etc/hosts too): the JDK's would block an event loop.
    var dns = new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(NioDatagramChannel.class));
    return new CallbackSender(dns, settings.allowedHostSet(), settings.connectTimeout(), settings.responseTimeout(),
        settings.attemptTimeout(), settings.maxResponseBytes().toBytes());
  }

  @Bean
  WebhookSecrets webhookSecrets(DatabaseClient db, GatewayProperties gateway) {
    return new WebhookSecrets(db, gateway.callbacks().signingSecret(), gateway.callbacks().previousSecretValidity(),
        gateway.jobs().queryTimeout());
  }

  @Bean
  CallbackDelivery callbackDelivery(PostgresJobs jobs, CallbackSender sender, WebhookSecrets secrets,
                                    ObjectProvider<BatchCallbacks> batches, JsonMapper json, Clock clock,
                                    GatewayProperties gateway) {
    GatewayProperties.Callbacks settings = gateway.callbacks();
    return new CallbackDelivery(jobs, sender, secrets, batches.getIfAvailable(), json, clock, settings.allowedHostSet(),
        settings.maxAttempts(),
        gateway.jobs().queryTimeout(), settings.attemptTimeout());
  }
}
