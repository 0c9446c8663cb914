package ai.gateway.api.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class UsageBodyTest {

  @Test
  void shouldTurnMicroUsdIntoExactPlainDecimals() {
    assertThat(UsageBody.usd(0).toString()).isEqualTo("0");
    assertThat(UsageBody.usd(1).toString()).isEqualTo("0.000001");
    assertThat(UsageBody.usd(4507).toString()).isEqualTo("0.004507");
    assertThat(UsageBody.usd(1_500_000).toString()).isEqualTo("1.5");
    assertThat(UsageBody.usd(10_000_000).toString()).isEqualTo("10");
    assertThat(UsageBody.usd(123_456_789_000_000L).toString()).isEqualTo("123456789");
  }

  @Test
  void shouldSumProvidersIntoTheTotalsAndKeepTheDesignsFieldNames() {
    Map<String, Totals> byProvider = new LinkedHashMap<>();
    byProvider.put("anthropic", new Totals(1, 15, 10, 5, 7));
    byProvider.put("openai", new Totals(2, 450, 300, 150, 4500));
    InstantRange range = new InstantRange(Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-02T00:00:00Z"));

    String json = JsonMapper.builder().build().writeValueAsString(UsageBody.of(range, byProvider));

    assertThat(json).isEqualTo("""
        {"from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","totalRequests":3,"totalTokens":465,"promptTokens":310,\
        "completionTokens":155,"costUsd":0.004507,"byProvider":{"anthropic":{"requests":1,"tokens":15,"promptTokens":10,\
        "completionTokens":5,"costUsd":0.000007},"openai":{"requests":2,"tokens":450,"promptTokens":300,\
        "completionTokens":150,"costUsd":0.0045}}}""");
  }
}
