package ai.gateway.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ProcessStatsTest {

  @Test
  void shouldTakeTheCpuAndPeakMemoryOfAProcessDuringARun() {
    assumeTrue(Files.exists(Path.of("/proc/self/status")), "Linux's /proc is needed");
    long self = ProcessHandle.current().pid();
    ProcessStats stats = new ProcessStats(Map.of("self", self));

    stats.start();
    byte[][] touched = new byte[64][];
    for (int i = 0; i < touched.length; i++) {
      touched[i] = new byte[1 << 20];
      java.util.Arrays.fill(touched[i], (byte) i);
    }
    long sum = 0;
    for (int i = 0; i < 50_000_000; i++) {
      sum += i % 7;
    }
    Map<String, ProcessStats.Usage> used = stats.stop();

    assertThat(sum).isPositive();
    assertThat(used).containsOnlyKeys("self");
    assertThat(used.get("self").cpuSeconds()).isPositive();
    assertThat(used.get("self").peakRssMiB()).isGreaterThanOrEqualTo(64);
    assertThat(touched[63][0]).isEqualTo((byte) 63);
  }

  @Test
  void shouldTakeTheCpuOfTheJvmsJitCompilerThreads() {
    assumeTrue(Files.exists(Path.of("/proc/self/task")), "Linux's /proc is needed");
    long self = ProcessHandle.current().pid();

    // by now this JVM has compiled JUnit, AssertJ and the loop above (a test JVM's compiler threads run for
    // tens of milliseconds at least; /proc counts in hundredths of a second)
    double jit = ProcessStats.jitThreads(self).values().stream().mapToDouble(Double::doubleValue).sum();

    assertThat(jit).isPositive().isLessThan(ProcessStats.cpuSeconds(self));
  }

  @Test
  void shouldCountTheJitTimeThreadByThreadSoThatAThreadGoneSubtractsNothing() {
    Map<Long, Double> before = Map.of(1L, 2.0, 2L, 5.0); // thread 2, an extra compiler thread, ends after 5 s

    double used = ProcessStats.jitSince(before, Map.of(1L, 2.5, 3L, 0.25)); // and thread 3 starts

    assertThat(used).isEqualTo(0.75);
  }

  @Test
  void shouldReadNoPeakOfAProcessThatIsGone() {
    assertThat(ProcessStats.peakRssMiB(Long.MAX_VALUE)).isZero();
    assertThat(ProcessStats.cpuSeconds(Long.MAX_VALUE)).isZero();
    assertThat(ProcessStats.jitThreads(Long.MAX_VALUE)).isEmpty();
  }
}
