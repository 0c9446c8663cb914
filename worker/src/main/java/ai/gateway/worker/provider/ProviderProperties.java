package ai.gateway.worker.provider;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.core.env.Environment;

/**
 * {@code worker.providers.<name>.*}: one provider's endpoint, key, defaults and connection pool. The same
 * record for every provider, bound by each adapter package from its own prefix ({@link #bind}), so a new
 * provider needs no new configuration type.
 *
 * <p>The provider counts as configured when a key resolves: {@code api-key}, or else
 * {@code local-fallback.api-key}. The local profile sets the fallback to the simulator, so that a real key
 * without a base URL still goes to the real API while a run without a key goes to the simulator (see
 * {@link #resolvedBaseUrl(String)}).
 *
 * @param apiKey the provider's key ({@code OPENAI_API_KEY}, ...); sent in a header only
 * @param baseUrl blank means "the real API if a real key is set, else the local fallback"
 * @param defaultModel used when a job names no model
 * @param defaultMaxTokens used when a job carries no positive {@code maxTokens}
 * @param defaultTemperature used when a job carries no valid {@code temperature}
 * @param allowedModels models this worker serves on this provider; empty: any
 * @param idleTimeout longest silence between two network reads of a call (also until the response headers)
 * @param maxConnections connection pool size: one streaming call holds one connection for its whole length
 * @param pendingAcquireMaxCount calls allowed to queue for a connection before failing fast
 * @param maxIdleTime pooled connections idle longer are closed (below common load balancer idle limits)
 * @param maxLifeTime pooled connections are renewed after this, so DNS changes are picked up
 * @param maxErrorBodyBytes non-2xx bodies are read up to this size: enough for the error JSON, never a
 *     provider's HTML page of megabytes
 */
public record ProviderProperties(
    @Nullable Secret apiKey,
    @Nullable String baseUrl,
    String defaultModel,
    @DefaultValue("1024") int defaultMaxTokens,
    @DefaultValue("0.7") double defaultTemperature,
    @DefaultValue List<String> allowedModels,
    @DefaultValue("30s") Duration idleTimeout,
    @DefaultValue("5s") Duration connectTimeout,
    @DefaultValue("4096") int maxConnections,
    @DefaultValue("8192") int pendingAcquireMaxCount,
    @DefaultValue("10s") Duration pendingAcquireTimeout,
    @DefaultValue("50s") Duration maxIdleTime,
    @DefaultValue("5m") Duration maxLifeTime,
    @DefaultValue("65536") int maxErrorBodyBytes,
    @DefaultValue LocalFallback localFallback) {

  public static final String PREFIX = "worker.providers.";

  public ProviderProperties {
    if (defaultModel == null || defaultModel.isBlank()) {
      throw new IllegalArgumentException("default-model must be set");
    }
    allowedModels = allowedModels.stream().map(String::strip).filter(model -> !model.isEmpty()).toList();
    if (defaultMaxTokens < 1) {
      throw new IllegalArgumentException("default-max-tokens must be >= 1");
    }
    if (!Double.isFinite(defaultTemperature) || defaultTemperature < 0) {
      throw new IllegalArgumentException("default-temperature must be >= 0");
    }
    for (Duration duration : new Duration[] {idleTimeout, connectTimeout, pendingAcquireTimeout, maxIdleTime,
        maxLifeTime}) {
      if (duration.isZero() || duration.isNegative()) {
        throw new IllegalArgumentException("provider timeouts and connection lifetimes must be positive");
      }
    }
    if (maxConnections < 1 || pendingAcquireMaxCount < 1 || maxErrorBodyBytes < 1024) {
      throw new IllegalArgumentException(
          "max-connections and pending-acquire-max-count must be >= 1, max-error-body-bytes >= 1024");
    }
    Objects.requireNonNull(localFallback, "localFallback");
  }

  /** Used only when {@code api-key} is blank: the local run points it at the simulator with a dummy key. */
  public record LocalFallback(@Nullable String baseUrl, @Nullable Secret apiKey) {
  }

  /** With every other setting at its default: for tests and tools. */
  public static ProviderProperties of(@Nullable Secret apiKey, @Nullable String baseUrl, String defaultModel) {
    return new ProviderProperties(apiKey, baseUrl, defaultModel, 1024, 0.7, List.of(), Duration.ofSeconds(30),
        Duration.ofSeconds(5), 4096, 8192, Duration.ofSeconds(10), Duration.ofSeconds(50), Duration.ofMinutes(5),
        65536, new LocalFallback(null, null));
  }

  public ProviderProperties withIdleTimeout(Duration timeout) {
    return new ProviderProperties(apiKey, baseUrl, defaultModel, defaultMaxTokens, defaultTemperature,
        allowedModels, timeout, connectTimeout, maxConnections, pendingAcquireMaxCount, pendingAcquireTimeout,
        maxIdleTime, maxLifeTime, maxErrorBodyBytes, localFallback);
  }

  public ProviderProperties withAllowedModels(List<String> models) {
    return new ProviderProperties(apiKey, baseUrl, defaultModel, defaultMaxTokens, defaultTemperature, models,
        idleTimeout, connectTimeout, maxConnections, pendingAcquireMaxCount, pendingAcquireTimeout, maxIdleTime,
        maxLifeTime, maxErrorBodyBytes, localFallback);
  }

  /**
   * Binds {@code worker.providers.<provider>}, rejecting unknown keys there (a misspelt {@code api-key}
   * must fail the start, not silently leave the provider on its defaults).
   */
  public static ProviderProperties bind(Environment environment, String provider) {
    return Binder.get(environment)
        .bindOrCreate(PREFIX + provider, Bindable.of(ProviderProperties.class),
            new NoUnboundElementsBindHandler(BindHandler.DEFAULT));
  }

  /**
   * Whether a key resolves for the provider, read without binding the rest: an unconfigured provider's
   * other settings are never validated, so a provider nobody uses cannot stop the worker.
   */
  public static boolean keyConfigured(Environment environment, String provider) {
    Binder binder = Binder.get(environment);
    return !binder.bind(PREFIX + provider + ".api-key", String.class).orElse("").isBlank()
        || !binder.bind(PREFIX + provider + ".local-fallback.api-key", String.class).orElse("").isBlank();
  }

  public boolean configured() {
    return resolvedApiKey() != null;
  }

  public @Nullable Secret resolvedApiKey() {
    if (isSet(apiKey)) {
      return apiKey;
    }
    return isSet(localFallback.apiKey()) ? localFallback.apiKey() : null;
  }

  /**
   * An explicit base URL always wins. Without one, a real key means the real API; no key means the local
   * fallback (the simulator), else the real API.
   *
   * @param realApi the provider's public endpoint, e.g. {@code https://api.anthropic.com}
   */
  public URI resolvedBaseUrl(String realApi) {
    String url;
    if (baseUrl != null && !baseUrl.isBlank()) {
      url = baseUrl;
    } else if (isSet(apiKey)) {
      url = realApi;
    } else if (localFallback.baseUrl() != null && !localFallback.baseUrl().isBlank()) {
      url = localFallback.baseUrl();
    } else {
      url = realApi;
    }
    URI uri = URI.create(url.strip().replaceAll("/+$", ""));
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException("a provider base-url must be an http(s) URL");
    }
    if (uri.getUserInfo() != null || uri.getQuery() != null) {
      // a key smuggled into the URL would end up in logs and error messages
      throw new IllegalArgumentException("a provider base-url must not carry credentials or a query");
    }
    return uri;
  }

  /** Whether this worker serves the model on this provider. */
  public boolean allows(String model) {
    return allowedModels.isEmpty() || allowedModels.contains(model);
  }

  private static boolean isSet(@Nullable Secret secret) {
    return secret != null && !secret.isBlank();
  }
}
