package ai.gateway.api.providers;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import ai.gateway.api.providers.ProviderDirectory.ProviderView;
import ai.gateway.schemas.v1.ProviderCapabilities;
import ai.gateway.schemas.v1.ProviderInfo;
import org.junit.jupiter.api.Test;

class ProviderDirectoryTest {

  private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");

  private final ProviderDirectory directory = new ProviderDirectory();

  @Test
  void shouldAnswerNothingWhenNoWorkerHasPublished() {
    assertThat(directory.available(NOW)).isEmpty();
  }

  @Test
  void shouldListTheUnionOfLiveWorkersInFallbackOrder() {
    directory.apply("w1", worker("w1", NOW, provider("gemini", "gemini-2.5-flash", false)));
    directory.apply("w2", worker("w2", NOW, provider("anthropic", "claude-sonnet-4-5", false),
        provider("openai", "gpt-4o-mini", false)));

    assertThat(directory.available(NOW)).containsExactly(
        new ProviderView("openai", "gpt-4o-mini"),
        new ProviderView("anthropic", "claude-sonnet-4-5"),
        new ProviderView("gemini", "gemini-2.5-flash"));
  }

  @Test
  void shouldDropAWorkerOnItsTombstone() {
    directory.apply("w1", worker("w1", NOW, provider("openai", "gpt-4o-mini", false)));

    directory.apply("w1", null);

    assertThat(directory.available(NOW)).isEmpty();
  }

  @Test
  void shouldDropAWorkerWhoseEntryOutlivedItsTtl() {
    directory.apply("w1", worker("w1", NOW.minusSeconds(61), provider("openai", "gpt-4o-mini", false)));

    assertThat(directory.available(NOW)).isEmpty();
    assertThat(directory.available(NOW.minusSeconds(30))).hasSize(1);
  }

  @Test
  void shouldLeaveOutAProviderWhoseCircuitIsOpenEverywhere() {
    directory.apply("w1", worker("w1", NOW, provider("openai", "gpt-4o-mini", true),
        provider("gemini", "gemini-2.5-flash", false)));

    assertThat(directory.available(NOW)).extracting(ProviderView::name).containsExactly("gemini");
  }

  @Test
  void shouldTakeTheDefaultModelFromTheNewestEntryAndIgnoreAnOlderRecordArrivingLate() {
    directory.apply("w1", worker("w1", NOW.minusSeconds(5), provider("openai", "gpt-4o-mini", false)));
    directory.apply("w2", worker("w2", NOW, provider("openai", "gpt-4.1-mini", false)));
    directory.apply("w2", worker("w2", NOW.minusSeconds(10), provider("openai", "gpt-3.5", false)));

    assertThat(directory.available(NOW)).containsExactly(new ProviderView("openai", "gpt-4.1-mini"));
  }

  private static ProviderCapabilities worker(String id, Instant updatedAt, ProviderInfo... providers) {
    return ProviderCapabilities.newBuilder().setWorkerId(id).setUpdatedAt(updatedAt).setTtlMs(60_000)
        .setProviders(List.of(providers)).build();
  }

  private static ProviderInfo provider(String name, String defaultModel, boolean circuitOpen) {
    return ProviderInfo.newBuilder().setName(name).setDefaultModel(defaultModel).setCircuitOpen(circuitOpen).build();
  }
}
