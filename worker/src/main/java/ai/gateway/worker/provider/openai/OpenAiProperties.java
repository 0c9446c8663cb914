package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.Secret;
import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code worker.providers.openai.*}: the OpenAI (or any OpenAI-compatible) endpoint.
 *
 * <p>The provider counts as configured when a key resolves: {@code api-key}, or else
 * {@code local-fallback.api-key}. The local profile sets the fallback to the simulator, so that a real
 * {@code OPENAI_API_KEY} without {@code OPENAI_BASE_URL} still goes to the real API while a run without a
 * key goes to the simulator (see {@link #resolvedBaseUrl()}).
 *
 * @param apiKey {@code OPENAI_API_KEY}; sent in the Authorization header only
 * @param baseUrl {@code OPENAI_BASE_URL}; blank means "the real API if a real key is set, else the fallback"
 * @param idleTimeout longest silence between two network reads of a call (also until the response headers)
 * @param maxConnections connection pool size: one streaming call holds one connection for its whole length
 * @param pendingAcquireMaxCount calls allowed to queue for a connection before failing fast
 * @param maxIdleTime pooled connections idle longer are closed (below common load balancer idle limits)
 * @param maxLifeTime pooled connections are renewed after this, so DNS changes are picked up
 * @param maxErrorBodyBytes non-2xx bodies are read up to this size: enough for the error JSON, never a
 *     provider's HTML page of megabytes
 */
@ConfigurationProperties(prefix = "worker.providers.openai", ignoreUnknownFields = false)
public record OpenAiProperties(
    @Nullable Secret apiKey,
    @Nullable String baseUrl,
    @DefaultValue("gpt-4o-mini") String defaultModel,
    @DefaultValue("30s") Duration idleTimeout,
    @DefaultValue("5s") Duration connectTimeout,
    @DefaultValue("4096") int maxConnections,
    @DefaultValue("8192") int pendingAcquireMaxCount,
    @DefaultValue("10s") Duration pendingAcquireTimeout,
    @DefaultValue("50s") Duration maxIdleTime,
    @DefaultValue("5m") Duration maxLifeTime,
    @DefaultValue("65536") int maxErrorBodyBytes,
    @DefaultValue LocalFallback localFallback) {

  static final String OPENAI_BASE_URL = "https://api.openai.com/v1";

  public OpenAiProperties {
    if (defaultModel.isBlank()) {
      throw new IllegalArgumentException("worker.providers.openai.default-model must not be blank");
    }
    requirePositive("idle-timeout", idleTimeout);
    requirePositive("connect-timeout", connectTimeout);
    requirePositive("pending-acquire-timeout", pendingAcquireTimeout);
    requirePositive("max-idle-time", maxIdleTime);
    requirePositive("max-life-time", maxLifeTime);
    if (maxConnections < 1 || pendingAcquireMaxCount < 1 || maxErrorBodyBytes < 1024) {
      throw new IllegalArgumentException(
          "worker.providers.openai: max-connections and pending-acquire-max-count must be >= 1, max-error-body-bytes >= 1024");
    }
  }

  /**
   * Used only when {@code api-key} is blank: the local run points it at the simulator with a dummy key.
   */
  public record LocalFallback(@Nullable String baseUrl, @Nullable Secret apiKey) {
  }

  boolean configured() {
    return resolvedApiKey() != null;
  }

  @Nullable Secret resolvedApiKey() {
    if (isSet(apiKey)) {
      return apiKey;
    }
    return isSet(localFallback.apiKey()) ? localFallback.apiKey() : null;
  }

  /**
   * An explicit base URL always wins. Without one, a real key means the real API; no key means the local
   * fallback (the simulator), else the real API.
   */
  URI resolvedBaseUrl() {
    String url;
    if (baseUrl != null && !baseUrl.isBlank()) {
      url = baseUrl;
    } else if (isSet(apiKey)) {
      url = OPENAI_BASE_URL;
    } else if (localFallback.baseUrl() != null && !localFallback.baseUrl().isBlank()) {
      url = localFallback.baseUrl();
    } else {
      url = OPENAI_BASE_URL;
    }
    URI uri = URI.create(url.strip().replaceAll("/+$", ""));
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException("worker.providers.openai.base-url must be an http(s) URL");
    }
    if (uri.getUserInfo() != null || uri.getQuery() != null) {
      // a key smuggled into the URL would end up in logs and error messages
      throw new IllegalArgumentException("worker.providers.openai.base-url must not carry credentials or a query");
    }
    return uri;
  }

  private static boolean isSet(@Nullable Secret secret) {
    return secret != null && !secret.isBlank();
  }

  private static void requirePositive(String name, Duration value) {
    if (value.isZero() || value.isNegative()) {
      throw new IllegalArgumentException("worker.providers.openai." + name + " must be positive");
    }
  }
}
