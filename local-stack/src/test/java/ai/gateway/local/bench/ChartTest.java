package ai.gateway.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class ChartTest {

  @Test
  void shouldDrawALinePerTargetInEachOfTheSixPanelsWithTheMeasuredPercentiles() {
    List<Load.Result> loads = new ArrayList<>();
    for (int level : List.of(1, 64, 256)) {
      loads.add(result("direct-stream", level, 20, 120));
      loads.add(result("gateway-stream", level, 30, 140));
      loads.add(result("portkey-stream", level, 25, 130));
      loads.add(result("direct-sync", level, 0, 120));
      loads.add(result("gateway-sync", level, 0, 150));
      loads.add(result("portkey-sync", level, 0, 125));
    }

    String svg = Chart.svg(loads, List.of(1, 64, 256), "a run");

    assertThat(svg).startsWith("<svg").endsWith("</svg>\n").contains("a run", "first token p99 (streams)",
        "non-streamed total p50", ">256<");
    assertThat(count(svg, "<polyline")).isEqualTo(6 * 3);
    assertThat(count(svg, "<circle")).isEqualTo(6 * 3 * 3);
    // The gateway's first token at every level is labelled with its p50 (30 ms).
    assertThat(svg).contains("fill=\"#1f77b4\">30</text>");
  }

  @Test
  void shouldLeaveOutATargetThatWasNotMeasured() {
    List<Load.Result> loads = List.of(result("direct-stream", 1, 20, 120), result("gateway-stream", 1, 30, 140),
        result("direct-sync", 1, 0, 120), result("gateway-sync", 1, 0, 150));

    String svg = Chart.svg(loads, List.of(1), "no peer");

    assertThat(count(svg, "<polyline")).isEqualTo(6 * 2);
    assertThat(svg).doesNotContain("stroke=\"#ff7f0e\" stroke-width=\"2\"");
  }

  private static Load.Result result(String target, int level, long firstTokenMs, long totalMs) {
    Histogram firstToken = new Histogram(3);
    Histogram total = new Histogram(3);
    for (int i = 0; i < 100; i++) {
      if (firstTokenMs > 0) {
        firstToken.recordValue(firstTokenMs * 1000 + i);
      }
      total.recordValue(totalMs * 1000 + i);
    }
    return new Load.Result(target, level, 100, 100, 0, 1.0, firstToken, total, List.of());
  }

  private static int count(String text, String what) {
    Matcher matcher = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (matcher.find()) {
      n++;
    }
    return n;
  }
}
