package ai.gateway.api.generate;

import java.time.Clock;

import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.InstanceId;
import ai.gateway.api.error.ErrorReporter;
import ai.gateway.api.kafka.JobPublisher;
import ai.gateway.api.kafka.ReplyStream;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class GenerateConfiguration {

  @Bean
  GenerateRequestValidator generateRequestValidator(GatewayProperties properties) {
    return new GenerateRequestValidator(properties.limits());
  }

  @Bean
  JobDispatcher jobDispatcher(JobPublisher publisher, ReplyStream replies, InstanceId instance, GatewayProperties properties,
                              Clock clock) {
    return new JobDispatcher(publisher, replies, instance, properties.deadline(), properties.kafka().retryAfter(),
        clock);
  }

  @Bean
  StreamEvents streamEvents(GatewayProperties properties, ErrorReporter reporter) {
    return new StreamEvents(properties.stream().keepAlive(), reporter);
  }
}
