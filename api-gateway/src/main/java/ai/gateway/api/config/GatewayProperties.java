package ai.gateway.api.config;

import java.time.Duration;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The gateway's settings ({@code gateway.*}); unknown keys fail the start, so a typo is not silently a default.
 *
 * @param instanceId  names this instance in jobs' {@code replyTo}; blank: {@code gw-} plus a random UUID
 * @param devUserId   the user every request runs as until authentication lands
 * @param deadline    end-to-end deadline of sync and stream calls, from acceptance
 * @param maxBodySize request bodies above it are refused with 413
 */
@Validated
@ConfigurationProperties(prefix = "gateway", ignoreUnknownFields = false)
public record GatewayProperties(
    @Nullable String instanceId,
    @DefaultValue("dev-user") @NotBlank String devUserId,
    @DefaultValue("30s") @NotNull Duration deadline,
    @DefaultValue("4MB") @NotNull DataSize maxBodySize,
    @DefaultValue @Valid Stream stream,
    @DefaultValue @Valid Kafka kafka,
    @DefaultValue @Valid Limits limits,
    @DefaultValue @Valid Http http) {

  /** @param keepAlive interval of {@code : keep-alive} comments once a stream has started */
  public record Stream(@DefaultValue("15s") @NotNull Duration keepAlive) {
  }

  /**
   * @param publishTimeout how long a publish may take before the client gets 503 (also bounds the
   *                       producer's {@code max.block.ms} and {@code delivery.timeout.ms})
   * @param retryAfter     {@code Retry-After} when Kafka is unavailable
   * @param replyBuffer    events buffered per waiting job before it fails (a client that does not read)
   * @param readyWait      how long the start waits for the reply consumer's positions
   * @param publishThreads threads that may block in {@code KafkaProducer.send()} at once
   */
  public record Kafka(
      @DefaultValue("5s") @NotNull Duration publishTimeout,
      @DefaultValue("5s") @NotNull Duration retryAfter,
      @DefaultValue("8192") @Min(16) int replyBuffer,
      @DefaultValue("10s") @NotNull Duration readyWait,
      @DefaultValue("8") @Min(1) int publishThreads) {
  }

  /**
   * The spec's request limits.
   *
   * @param maxPromptCodePoints prompt plus systemPrompt, in Unicode code points
   */
  public record Limits(
      @DefaultValue("4096") @Min(1) int maxTokens,
      @DefaultValue("1024") @Min(1) int defaultMaxTokens,
      @DefaultValue("0.7") @DecimalMin("0") @DecimalMax("2") double defaultTemperature,
      @DefaultValue("100000") @Min(1) @Max(10_000_000) int maxPromptCodePoints) {
  }

  /**
   * Connection timeouts against slow or stuck clients (slowloris, a stream reader that never reads).
   *
   * @param readTimeout    longest pause between two reads of a request
   * @param requestTimeout longest time to read a whole request (headers and body)
   * @param writeTimeout   longest time one write to the client may take
   */
  public record Http(
      @DefaultValue("10s") @NotNull Duration readTimeout,
      @DefaultValue("30s") @NotNull Duration requestTimeout,
      @DefaultValue("30s") @NotNull Duration writeTimeout) {
  }
}
