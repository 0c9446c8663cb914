package ai.gateway.api.config;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.netty.handler.timeout.WriteTimeoutHandler;
import org.springframework.boot.context.properties.ConfigurationPropertiesBinding;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.convert.converter.Converter;
import reactor.netty.NettyPipeline;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({GatewayProperties.class, TopicsProperties.class})
class GatewayConfiguration {

  /** Binds {@code gateway.*} credentials as {@link Secret}s; blank means not set. */
  @Bean
  @ConfigurationPropertiesBinding
  static Converter<String, Secret> secretConverter() {
    return value -> value.isBlank() ? null : new Secret(value);
  }

  @Bean
  StrictJson strictJson() {
    return new StrictJson();
  }

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  @Bean
  InstanceId instanceId(GatewayProperties properties) {
    String configured = properties.instanceId();
    return new InstanceId(configured == null || configured.isBlank() ? "gw-" + UUID.randomUUID() : configured);
  }

  /**
   * Bounds what a slow or stuck client can hold: a request dribbled in a byte at a time, or a stream
   * reader that stops reading (its writes stall and the connection is closed instead of buffering).
   */
  @Bean
  NettyServerCustomizer connectionTimeouts(GatewayProperties properties) {
    GatewayProperties.Http http = properties.http();
    long writeTimeoutMillis = http.writeTimeout().toMillis();
    long requestTimeoutMillis = http.requestTimeout().toMillis();
    return server -> server
        // a connection waiting for a request, silent
        .idleTimeout(http.idleTimeout())
        .readTimeout(http.readTimeout())
        .requestTimeout(http.requestTimeout())
        // a request head dribbled in a byte at a time: every byte resets the timeouts above
        .doOnChannelInit((observer, channel, remote) -> {
          if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
            channel.pipeline().addAfter(NettyPipeline.HttpCodec, "gateway.requestHeadTimeout",
                new RequestHeadTimeout(requestTimeoutMillis));
          }
        })
        .doOnConnection(connection -> connection.addHandlerLast(
            new WriteTimeoutHandler(writeTimeoutMillis, TimeUnit.MILLISECONDS)));
  }
}
