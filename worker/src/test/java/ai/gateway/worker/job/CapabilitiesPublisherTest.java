package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.ProviderInfo;
import ai.gateway.worker.config.WorkerIdentity;
import ai.gateway.worker.provider.ProviderAdapter;
import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderId;
import ai.gateway.worker.provider.ProviderRegistry;
import ai.gateway.worker.provider.ProviderRequest;
import ai.gateway.worker.resilience.ProviderCircuits;
import ai.gateway.worker.resilience.ResilienceProperties;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class CapabilitiesPublisherTest {

  private final RecordingPublisher published = new RecordingPublisher();
  private final ProviderCircuits circuits = new ProviderCircuits(ResilienceProperties.defaults(), Clock.systemUTC());
  private final CapabilitiesPublisher publisher = new CapabilitiesPublisher(published,
      new ProviderRegistry(List.of(adapter(ProviderId.GEMINI, List.of()),
          adapter(ProviderId.ANTHROPIC, List.of("claude-sonnet-4-6", "claude-haiku-4-5")))),
      circuits, new WorkerIdentity("worker-caps"),
      // a ttl long enough that only a circuit change can explain a second announcement
      WorkerPropertiesFixtures.worker(512, Duration.ofSeconds(1), Duration.ofMillis(200), Duration.ofMinutes(10),
          Duration.ofSeconds(10)),
      Clock.systemUTC());

  @Test
  void shouldAnnounceProvidersInFallbackOrderWithDefaultModelsAndAllowlists() {
    // when
    ProviderCapabilities capabilities = publisher.capabilities();

    // then
    assertThat(capabilities.getWorkerId()).isEqualTo("worker-caps");
    assertThat(capabilities.getProviders()).extracting(ProviderInfo::getName, ProviderInfo::getDefaultModel,
            ProviderInfo::getCircuitOpen)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("anthropic", "anthropic-default", false),
            org.assertj.core.groups.Tuple.tuple("gemini", "gemini-default", false));
    assertThat(capabilities.getProviders().get(0).getAllowedModels())
        .containsExactly("claude-sonnet-4-6", "claude-haiku-4-5");
    assertThat(capabilities.getProviders().get(1).getAllowedModels()).isEmpty();
  }

  @Test
  void shouldAnnounceAnOpenCircuitAtOnce() {
    // given
    publisher.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> published.capabilities.get() != null);

    // when
    circuits.breaker(ProviderId.GEMINI).transitionToOpenState();

    // then
    try {
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(published.capabilities.get().getProviders())
          .extracting(ProviderInfo::getName, ProviderInfo::getCircuitOpen)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("anthropic", false),
              org.assertj.core.groups.Tuple.tuple("gemini", true)));
    } finally {
      publisher.stop();
    }
    assertThat(published.capabilities.get()).as("a graceful stop writes the tombstone").isNull();
  }

  private static ProviderAdapter adapter(ProviderId id, List<String> allowed) {
    return new ProviderAdapter() {
      @Override
      public ProviderId id() {
        return id;
      }

      @Override
      public String defaultModel() {
        return id + "-default";
      }

      @Override
      public List<String> allowedModels() {
        return allowed;
      }

      @Override
      public Flux<ProviderEvent> stream(ProviderRequest request) {
        return Flux.empty();
      }
    };
  }
}
