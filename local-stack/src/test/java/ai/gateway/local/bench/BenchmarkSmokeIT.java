package ai.gateway.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short run of the benchmark harness on the real jars: every target at every level answers without an
 * error, the timings are consistent, usage events become rows, and the report and histograms are written.
 * Figures are not judged here (docs/benchmarks.md holds them); the full run is {@code ./benchmark.sh}.
 */
class BenchmarkSmokeIT {

  @Test
  void shouldMeasureEveryTargetAtEveryLevelAndWriteTheReport(@TempDir Path out) throws Exception {
    Benchmark.Options options = Benchmark.Options.parse("--levels=1,4", "--requests=15,40", "--warm-up=20",
        "--usage-per-second=200", "--usage-seconds=3", "--out=" + out);
    Path home = Path.of(System.getProperty("local-stack.home", Path.of("").toAbsolutePath().getParent().toString()));

    Benchmark.Report report = Benchmark.run(home, options,
        List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));

    assertThat(report.targets()).containsExactly(
        "direct-stream@1", "gateway-stream@1", "direct-sync@1", "gateway-sync@1",
        "direct-stream@4", "gateway-stream@4", "direct-sync@4", "gateway-sync@4");
    assertThat(report.errors()).as(report.markdown()).isZero();
    assertThat(report.completed()).isEqualTo(4 * 15 + 4 * 40);
    for (Load.Result load : report.loads()) {
      assertThat(load.total().getTotalCount()).isEqualTo(load.requests());
      if (load.target().endsWith("stream")) {
        assertThat(load.firstToken().getTotalCount()).isEqualTo(load.requests());
        assertThat(load.firstToken().getValueAtPercentile(50)).isPositive()
            .isLessThanOrEqualTo(load.total().getValueAtPercentile(50));
      } else {
        assertThat(load.firstToken().getTotalCount()).isZero();
      }
    }
    // Gateway runs used the services' CPU; the limits stayed on with enough users for every request.
    assertThat(report.cpuSeconds().get("gateway-stream@4")).containsKeys(ai.gateway.local.Service.values());
    assertThat(report.users()).isGreaterThanOrEqualTo((2 * 20 + 2 * (15 + 40)) / 10);
    assertThat(report.usageSampled()).isEqualTo(200 * 3 / 20);
    assertThat(report.usageUnseen()).isZero();
    assertThat(report.freshness().micros().getTotalCount()).isEqualTo(report.usageSampled());
    assertThat(out.resolve("report.md")).hasContent(report.markdown());
    assertThat(out.resolve("gateway-stream-c4-first-token.hgrm")).exists();
    assertThat(Files.readString(out.resolve("usage-freshness.hgrm"))).contains("Percentile");
    assertThat(report.markdown()).contains("| gateway-sync | 4 | 40 | 0 |", "Usage freshness");
  }
}
