package ai.gateway.worker.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

class ProviderRegistryTest {

  @Test
  void shouldListConfiguredProvidersInTheDesignsFallbackOrder() {
    // given
    ProviderRegistry registry = new ProviderRegistry(List.of(adapter(ProviderId.GEMINI), adapter(ProviderId.OPENAI)));

    // when / then
    assertThat(registry.inFallbackOrder()).extracting(ProviderAdapter::id)
        .containsExactly(ProviderId.OPENAI, ProviderId.GEMINI);
    assertThat(registry.find(ProviderId.GEMINI)).isPresent();
    assertThat(registry.find(ProviderId.ANTHROPIC)).isEmpty();
  }

  @Test
  void shouldPutAProviderMissingFromTheConfiguredOrderLast() {
    // given: a fourth provider nobody listed, and an order that prefers Gemini
    ProviderId mistral = new ProviderId("mistral");
    ProviderRegistry registry = new ProviderRegistry(
        List.of(adapter(mistral), adapter(ProviderId.OPENAI), adapter(ProviderId.GEMINI)),
        List.of("gemini", "openai"));

    // when / then
    assertThat(registry.inFallbackOrder()).extracting(ProviderAdapter::id)
        .containsExactly(ProviderId.GEMINI, ProviderId.OPENAI, mistral);
  }

  @Test
  void shouldRejectTwoAdaptersForOneProvider() {
    assertThatThrownBy(() -> new ProviderRegistry(List.of(adapter(ProviderId.OPENAI), adapter(ProviderId.OPENAI))))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void shouldNormalizeProviderNamesAndRejectWhatCannotBeOne() {
    assertThat(ProviderId.fromWireName(" Anthropic ")).contains(ProviderId.ANTHROPIC);
    assertThat(ProviderId.fromWireName("../gemini")).isEmpty();
    assertThat(ProviderId.fromWireName("")).isEmpty();
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
