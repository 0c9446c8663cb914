package ai.gateway.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short run of the benchmark harness on the real jars: every target at every level answers without an
 * error, the timings are consistent, each process's CPU and peak memory are taken, usage events become
 * rows, and the report, histograms and chart are written. Portkey, the peer, is measured where node is
 * installed; where not, the run says so (in the report and on stderr) and measures the rest. Figures are
 * not judged here (docs/benchmarks.md holds them); the full run is {@code ./benchmark.sh}.
 */
class BenchmarkSmokeIT {

  @Test
  void shouldMeasureEveryTargetAtEveryLevelAndWriteTheReport(@TempDir Path out) throws Exception {
    Benchmark.Options options = Benchmark.Options.parse("--levels=1,4", "--requests=6,16", "--warm-up=4", "--warm-up-rounds=1", "--settle=0",
        "--usage-per-second=200", "--usage-seconds=3", "--out=" + out);
    Path home = Path.of(System.getProperty("local-stack.home", Path.of("").toAbsolutePath().getParent().toString()));

    Benchmark.Report report = Benchmark.run(home, options,
        List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));

    boolean peer = Portkey.unavailable(home) == null;
    assertThat(report.portkeySkipped()).isEqualTo(Portkey.unavailable(home));
    List<String> targets = new ArrayList<>();
    for (int level : List.of(1, 4)) {
      for (String mode : List.of("stream", "sync")) {
        targets.add("direct-" + mode + "@" + level);
        targets.add("gateway-" + mode + "@" + level);
        if (peer) {
          targets.add("portkey-" + mode + "@" + level);
        }
      }
    }
    assertThat(report.targets()).containsExactlyElementsOf(targets);
    assertThat(report.errors()).as(report.markdown()).isZero();
    int perLevel = peer ? 6 : 4;
    assertThat(report.completed()).isEqualTo(perLevel * 6 + perLevel * 16);
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
    // Each run took every process's CPU and peak memory; the gateway's runs used the services' CPU.
    assertThat(report.usage().get("gateway-stream@4")).containsKeys(Benchmark.GATEWAY, Benchmark.WORKER,
        Benchmark.AGGREGATOR, Benchmark.HARNESS);
    assertThat(report.usage().get("gateway-stream@4").get(Benchmark.GATEWAY).cpuSeconds()).isPositive();
    assertThat(report.usage().get("gateway-stream@4").get(Benchmark.GATEWAY).peakRssMiB()).isPositive();
    if (peer) {
      assertThat(report.usage().get("portkey-sync@4").get(Benchmark.PORTKEY).cpuSeconds()).isPositive();
    } else {
      assertThat(report.markdown()).contains("Portkey not measured");
    }
    // The limits stayed on with enough users for every request.
    assertThat(report.users()).isGreaterThanOrEqualTo((2 * 4 + 2 * (6 + 16)) / 10);
    assertThat(report.usageSampled()).isEqualTo(200 * 3 / 20);
    assertThat(report.usageUnseen()).isZero();
    assertThat(report.freshness().micros().getTotalCount()).isEqualTo(report.usageSampled());
    assertThat(out.resolve("report.md")).hasContent(report.markdown());
    assertThat(out.resolve("gateway-stream-c4-first-token.hgrm")).exists();
    assertThat(Files.readString(out.resolve("usage-freshness.hgrm"))).contains("Percentile");
    assertThat(report.markdown()).contains("| gateway-sync | 4 | 16 | 0 |", "Usage freshness", "Limits raised: none",
        "Kafka records per request", "| gateway-sync@4 |");
    // every gateway request found on ai.jobs, ai.job-status and ai.replies by the job id its answer carried
    assertThat(report.hops()).extracting(Hops.Result::run)
        .containsExactly("gateway-stream@1", "gateway-sync@1", "gateway-stream@4", "gateway-sync@4");
    assertThat(report.hops()).allSatisfy(hops -> {
      assertThat(hops.matched()).as(hops.run()).isEqualTo(hops.traced()).isEqualTo(hops.run().endsWith("@1") ? 6 : 16);
      // the worker-and-provider hop holds the simulator's 20 ms to the first token (less the RUNNING record's
      // own delay on the worker's sender thread and millisecond rounding)
      assertThat(hops.workerAndProvider().getValueAtPercentile(50)).as(hops.run()).isGreaterThanOrEqualTo(10_000);
    });
    assertThat(report.markdown()).contains("Where a gateway request's time goes");
    assertThat(Files.readString(out.resolve("latency.svg"))).startsWith("<svg").contains("<polyline", "gateway");
  }
}
