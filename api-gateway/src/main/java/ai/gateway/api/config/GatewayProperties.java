package ai.gateway.api.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The gateway's settings ({@code gateway.*}); unknown keys fail the start, so a typo is not silently a default.
 *
 * @param instanceId  names this instance in jobs' {@code replyTo}; blank: {@code gw-} plus a random UUID
 * @param deadline    end-to-end deadline of sync and stream calls, from acceptance
 * @param maxBodySize request bodies above it are refused with 413
 * @param auth        how callers of {@code /v1} authenticate
 * @param admin       the credential of {@code /admin}
 * @param rateLimit   per-user request limits
 * @param usage       usage reads ({@code /v1/usage}, {@code /admin/usage}) and the daily token totals
 * @param replies     how this instance claims its partition of {@code ai.replies} and replays a job's events
 * @param jobs        async jobs ({@code /v1/jobs})
 * @param callbacks   callbacks of async jobs
 * @param batches     batches ({@code /v1/batches}) and how their items are fed to the workers
 */
@Validated
@ConfigurationProperties(prefix = "gateway", ignoreUnknownFields = false)
public record GatewayProperties(
    @Nullable String instanceId,
    @DefaultValue("30s") @NotNull Duration deadline,
    @DefaultValue("4MB") @NotNull DataSize maxBodySize,
    @DefaultValue @Valid Stream stream,
    @DefaultValue @Valid Kafka kafka,
    @DefaultValue @Valid Limits limits,
    @DefaultValue @Valid Http http,
    @DefaultValue @Valid Auth auth,
    @DefaultValue @Valid Admin admin,
    @DefaultValue @Valid RateLimit rateLimit,
    @DefaultValue @Valid Usage usage,
    @DefaultValue @Valid Replies replies,
    @DefaultValue @Valid Jobs jobs,
    @DefaultValue @Valid Callbacks callbacks,
    @DefaultValue @Valid Batches batches) {

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
   * @param lostAfter      how long the reply partition's leader may not answer before Kafka counts as lost:
   *                       live jobs fail with {@code UNAVAILABLE}, readiness goes down, new jobs get 503 at once
   * @param statusSessionTimeout {@code session.timeout.ms} of the groups shared by all instances that apply
   *                       {@code ai.job-status} (jobs, batch items): after a crash ({@code kill -9}) no status is
   *                       applied, and no batch item fed, until the dead member's session ends, also when the
   *                       crashed instance itself restarts at once (Kafka's default, 45 s, stalled a batch that
   *                       long); at least the broker's {@code group.min.session.timeout.ms} (6 s by default)
   */
  public record Kafka(
      @DefaultValue("4s") @NotNull Duration publishTimeout,
      @DefaultValue("5s") @NotNull Duration retryAfter,
      @DefaultValue("8192") @Min(16) int replyBuffer,
      @DefaultValue("10s") @NotNull Duration readyWait,
      @DefaultValue("8") @Min(1) int publishThreads,
      @DefaultValue("5s") @NotNull @DurationMin(millis = 500) Duration lostAfter,
      @DefaultValue("10s") @NotNull @DurationMin(seconds = 1) Duration statusSessionTimeout) {

    /** The consumer settings of a status group: {@link #statusSessionTimeout}, heartbeats at a third of it. */
    public Map<String, Object> statusGroupConsumerSettings() {
      int session = (int) Math.min(Integer.MAX_VALUE, statusSessionTimeout.toMillis());
      return Map.of("session.timeout.ms", session, "heartbeat.interval.ms", Math.max(100, session / 3));
    }
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
   * @param requestTimeout longest time to read a request's head (from the connection's start or the previous
   *                       answer's end), and then its body
   * @param writeTimeout   longest time one write to the client may take
   * @param idleTimeout    longest a connection may wait silent for its next request (keep-alive); longer than
   *                       clients' usual pool idle times, so a pooled connection is rarely closed under a request
   */
  public record Http(
      @DefaultValue("10s") @NotNull Duration readTimeout,
      @DefaultValue("30s") @NotNull Duration requestTimeout,
      @DefaultValue("30s") @NotNull Duration writeTimeout,
      @DefaultValue("60s") @NotNull Duration idleTimeout) {
  }

  /**
   * @param cacheTtl how long a user's plan and an API key's owner are cached: the longest a plan change or a
   *                 key revocation takes to reach every instance (the design allows at most 30 s)
   * @param lookupTimeout a user or key lookup taking longer fails closed: 503 {@code UNAVAILABLE}
   * @param jwt      how JWTs are verified
   */
  public record Auth(
      @DefaultValue("30s") @NotNull @DurationMax(seconds = 30) Duration cacheTtl,
      @DefaultValue("3s") @NotNull Duration lookupTimeout,
      @DefaultValue @Valid Jwt jwt) {
  }

  /**
   * Exactly one of {@code secret} (HS256) and {@code jwkSetUri} (the issuer's keys) is set; the algorithm
   * is fixed here, never taken from a token's header.
   *
   * @param secret            HS256 shared secret, at least 32 bytes (env {@code GATEWAY_AUTH_JWT_SECRET})
   * @param jwkSetUri         the issuer's JWK set, for RS256/ES256 tokens
   * @param jwkSetAlgorithm   the one algorithm accepted with {@code jwkSetUri}
   * @param jwkSetRefetch     least time between two fetches of the JWK set (a token with an unknown
   *                          {@code kid} asks for one; a flood of random ones must not become a flood of fetches)
   * @param jwkSetMaxAge      the JWK set is fetched again after this long, for key rotation
   * @param issuer            required {@code iss}
   * @param audience          required in {@code aud}
   * @param leeway            clock skew allowed on {@code exp} and {@code nbf}, at most 60 s
   */
  public record Jwt(
      @Nullable Secret secret,
      @Nullable URI jwkSetUri,
      @DefaultValue("RS256") @NotNull @Pattern(regexp = "RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512") String jwkSetAlgorithm,
      @DefaultValue("30s") @NotNull Duration jwkSetRefetch,
      @DefaultValue("5m") @NotNull Duration jwkSetMaxAge,
      @DefaultValue("ai-gateway") @NotBlank String issuer,
      @DefaultValue("ai-gateway") @NotBlank String audience,
      @DefaultValue("60s") @NotNull @DurationMax(seconds = 60) Duration leeway) {
  }

  /** @param token the {@code /admin} bearer token (env {@code GATEWAY_ADMIN_TOKEN}) */
  public record Admin(@Nullable Secret token) {
  }

  /**
   * Per-user limits on creating work. Every window is checked, atomically, on every creation: a request is
   * admitted only if each window has room, and a rejected request counts in none.
   *
   * @param store          {@code memory} (one instance) or {@code postgres} (shared by all instances)
   * @param windows        sliding windows and how many creations each admits
   * @param timeout        a shared-store check taking longer fails closed: 503 {@code UNAVAILABLE}
   * @param retryAfter     {@code Retry-After} of that 503
   * @param maxOpenStreams open event streams per user on one instance; one more is answered 429
   */
  public record RateLimit(
      @DefaultValue("memory") @NotNull Store store,
      @DefaultValue @NotEmpty List<@Valid Window> windows,
      @DefaultValue("2s") @NotNull Duration timeout,
      @DefaultValue("5s") @NotNull Duration retryAfter,
      @DefaultValue("20") @Min(1) int maxOpenStreams) {

    public RateLimit {
      windows = List.copyOf(windows);
    }

    public enum Store { MEMORY, POSTGRES }

    /** At most {@code limit} creations in any {@code period}. */
    public record Window(@NotNull Duration period, @Min(1) int limit) {
    }
  }

  /**
   * Reading the usage tables the usage aggregator writes.
   *
   * @param maxRange            the longest range one request may ask for: {@code to - from} of instants, or
   *                            that many days of the daily view; bounds what one query can scan
   * @param queryTimeout        a usage query slower than this answers 503 {@code UNAVAILABLE}
   * @param dailyTokensCacheTtl how long {@code DailyTokens} keeps a user's total of the day ({@code 0s}: not
   *                            cached); adds to the staleness of that total
   */
  public record Usage(
      @DefaultValue("366d") @NotNull @DurationMin(days = 1) @DurationMax(days = 3660) Duration maxRange,
      @DefaultValue("5s") @NotNull @DurationMin(millis = 1) Duration queryTimeout,
      @DefaultValue("5s") @NotNull @DurationMax(seconds = 60) Duration dailyTokensCacheTtl) {
  }

  /**
   * Reply routing across instances: each instance reads one partition of {@code ai.replies}, held through a
   * lease in PostgreSQL, and makes job ids whose key lands on it.
   *
   * @param leaseTtl      a lease not renewed for this long is free for another instance; renewed every third of it
   * @param replayMargin  a replay starts reading this long before the job's creation time (producer clocks
   *                      may lag the gateway's; record timestamps are the worker's)
   * @param replayTimeout longest a subscriber of a job's events waits for its terminal event
   * @param maxReplays    catch-up reads of a job's events running at once on this instance (each holds a
   *                      consumer; one per job with subscribers here, the job's other subscribers share it);
   *                      more wait in a queue (docs/jobs.md, "Many subscribers")
   */
  public record Replies(
      @DefaultValue("30s") @NotNull @DurationMin(seconds = 1) Duration leaseTtl,
      @DefaultValue("30s") @NotNull Duration replayMargin,
      @DefaultValue("60s") @NotNull @DurationMin(millis = 1) Duration replayTimeout,
      @DefaultValue("8") @Min(1) int maxReplays) {
  }

  /**
   * Async jobs ({@code POST /v1/jobs}).
   *
   * @param attemptTimeout    per-attempt timeout a worker applies to an async job
   * @param lifetime          after this long from acceptance the job fails (its {@code deadlineAt})
   * @param acceptTimeout     a job row still being accepted (inserted, publish not confirmed) this long after its
   *                          insert was left by a crash: the sweeper republishes it (keep it well above
   *                          {@code kafka.publish-timeout})
   * @param rejectedRetention how long a rejected job row keeps its idempotency key, so a retry with that key
   *                          republishes the same job id
   * @param sweepInterval     how often the sweeper looks for such rows
   * @param statusGroup       consumer group shared by every gateway instance that materializes {@code ai.job-status}
   * @param maxMetadataBytes  largest {@code metadata} object, as compact UTF-8 JSON
   * @param queryTimeout      a jobs query slower than this answers 503 {@code UNAVAILABLE}
   */
  public record Jobs(
      @DefaultValue("30s") @NotNull @DurationMin(millis = 1) Duration attemptTimeout,
      @DefaultValue("24h") @NotNull @DurationMin(millis = 1) Duration lifetime,
      @DefaultValue("1m") @NotNull @DurationMin(millis = 1) Duration acceptTimeout,
      @DefaultValue("24h") @NotNull Duration rejectedRetention,
      @DefaultValue("30s") @NotNull @DurationMin(millis = 10) Duration sweepInterval,
      @DefaultValue("api-gateway.job-status") @NotBlank String statusGroup,
      @DefaultValue("4096") @Min(1) int maxMetadataBytes,
      @DefaultValue("5s") @NotNull @DurationMin(millis = 1) Duration queryTimeout) {
  }

  /**
   * Callbacks of async jobs (docs/jobs.md, "Callbacks"). Attempt {@code n} (from 2) waits
   * {@code min(initialDelay * multiplier^(n-2), maxDelay)} after attempt {@code n-1}; after {@code maxAttempts}
   * failed attempts the callback is given up.
   *
   * @param signingSecret    {@code whsec_} + base64 of 24 to 64 random bytes (env {@code GATEWAY_CALLBACKS_SIGNINGSECRET});
   *                         required outside the local and test profiles. Callbacks are signed with each user's own
   *                         secret ({@code GET /v1/webhook-secret}); this one is the key those are stored under
   * @param allowedHosts     host names (exact, case-insensitive) exempt from the address checks, that may also use
   *                         {@code http} and any port: a private deployment's receivers, a test's local receiver
   * @param group            consumer group of {@code ai.callbacks} and its retry topics, shared by every instance
   * @param connectTimeout   TCP connect timeout of one attempt
   * @param responseTimeout  longest pause while waiting for or reading the answer
   * @param attemptTimeout   longest one attempt may take in all (a receiver that trickles bytes)
   * @param maxResponseBytes at most this much of an answer is read, then the connection is closed
   * @param maxAttempts      attempts, the first included, before the callback is given up
   * @param initialDelay     wait before the second attempt
   * @param multiplier       each further wait is this many times the previous one
   * @param maxDelay         longest wait between two attempts
   * @param previousSecretValidity after a user rotates the webhook secret, the replaced one also signs callbacks
   *                         this long (a second signature), so the receiver can switch without a gap
   */
  public record Callbacks(
      @Nullable Secret signingSecret,
      @DefaultValue List<@NotBlank String> allowedHosts,
      @DefaultValue("api-gateway.callbacks") @NotBlank String group,
      @DefaultValue("5s") @NotNull @DurationMin(millis = 1) Duration connectTimeout,
      @DefaultValue("10s") @NotNull @DurationMin(millis = 1) Duration responseTimeout,
      @DefaultValue("30s") @NotNull @DurationMin(millis = 1) @DurationMax(seconds = 30) Duration attemptTimeout,
      @DefaultValue("64KB") @NotNull DataSize maxResponseBytes,
      @DefaultValue("10") @Min(1) @Max(30) int maxAttempts,
      @DefaultValue("30s") @NotNull @DurationMin(millis = 1) Duration initialDelay,
      @DefaultValue("4") @DecimalMin("1") double multiplier,
      @DefaultValue("6h") @NotNull @DurationMin(millis = 1) Duration maxDelay,
      @DefaultValue("24h") @NotNull Duration previousSecretValidity) {

    public Callbacks {
      allowedHosts = List.copyOf(allowedHosts);
    }

    /** The allowlist, lower-cased. */
    public java.util.Set<String> allowedHostSet() {
      return allowedHosts.stream().map(host -> host.toLowerCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.toUnmodifiableSet());
    }
  }

  /**
   * Batches ({@code POST /v1/batches}).
   *
   * @param maxBodySize          a batch body above it is refused with 413 (read as a stream, never held whole)
   * @param maxItems             requests one batch may hold; one more rejects the batch
   * @param maxItemSize          largest single request: one NDJSON line or one element of {@code requests}
   * @param maxInFlightPerUser   K: a user's batch items published to {@code ai.batch-jobs} and not yet finished, across
   *                             all the user's batches and all gateway instances
   * @param feedInterval         how often each instance feeds (sooner on this instance when one of its items ends)
   * @param republishAfter       an item claimed for publishing but not marked published this long ago (its gateway
   *                             died between the claim and the publish) is published again, under the same job id
   * @param receiveTimeout       a batch still being received this long (its gateway died during the upload) is deleted
   * @param maxConcurrentUploads batch bodies one instance reads at once (each holds a thread); more answer 503
   * @param insertChunk          items written to PostgreSQL per statement batch while the body is read
   * @param statusGroup          consumer group shared by every gateway instance that applies {@code ai.job-status} to
   *                             batch items
   * @param attemptTimeout       per-attempt timeout a worker applies to a batch item
   * @param lifetime             an item not finished this long after its batch was accepted fails (its {@code deadlineAt})
   * @param queryTimeout         a batches query slower than this answers 503 {@code UNAVAILABLE}
   */
  public record Batches(
      @DefaultValue("200MB") @NotNull DataSize maxBodySize,
      @DefaultValue("50000") @Min(1) int maxItems,
      @DefaultValue("4MB") @NotNull DataSize maxItemSize,
      @DefaultValue("8") @Min(1) int maxInFlightPerUser,
      @DefaultValue("500ms") @NotNull @DurationMin(millis = 10) Duration feedInterval,
      @DefaultValue("1m") @NotNull @DurationMin(millis = 1) Duration republishAfter,
      @DefaultValue("10m") @NotNull @DurationMin(millis = 1) Duration receiveTimeout,
      @DefaultValue("4") @Min(1) int maxConcurrentUploads,
      @DefaultValue("500") @Min(1) @Max(10_000) int insertChunk,
      @DefaultValue("api-gateway.batch-status") @NotBlank String statusGroup,
      @DefaultValue("30s") @NotNull @DurationMin(millis = 1) Duration attemptTimeout,
      @DefaultValue("24h") @NotNull @DurationMin(millis = 1) Duration lifetime,
      @DefaultValue("10s") @NotNull @DurationMin(millis = 1) Duration queryTimeout) {
  }
}
