package ai.gateway.worker.provider;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class ProviderRegistryTest {

  @Test
  void shouldListConfiguredProvidersInFallbackOrder() {
    // given
    ProviderRegistry registry = new ProviderRegistry(List.of(adapter(ProviderId.GEMINI), adapter(ProviderId.OPENAI)));

    // when / then
    assertThat(registry.inFallbackOrder()).extracting(ProviderAdapter::id)
        .containsExactly(ProviderId.OPENAI, ProviderId.GEMINI);
    assertThat(registry.select(Optional.empty())).map(ProviderAdapter::id).contains(ProviderId.OPENAI);
  }

  @Test
  void shouldNotSelectARequestedProviderThatIsNotConfigured() {
    // given
    ProviderRegistry registry = new ProviderRegistry(List.of(adapter(ProviderId.OPENAI)));

    // when / then
    assertThat(registry.select(Optional.of(ProviderId.ANTHROPIC))).isEmpty();
    assertThat(new ProviderRegistry(List.of()).select(Optional.empty())).isEmpty();
  }

  @Test
  void shouldPrintSecretsMasked() {
    // given
    Secret secret = new Secret("sk-very-secret");

    // when / then
    assertThat(secret).hasToString("****");
    assertThat(String.valueOf(List.of(secret))).doesNotContain("sk-");
    assertThat(secret.reveal()).isEqualTo("sk-very-secret");
  }

  private static ProviderAdapter adapter(ProviderId id) {
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
      public Flux<ProviderEvent> stream(ProviderRequest request) {
        return Flux.empty();
      }
    };
  }
}
