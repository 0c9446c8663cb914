package ai.gateway.local.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU seconds and peak resident memory of the processes a run measures, each a separate OS process.
 * CPU is {@link ProcessHandle.Info#totalCpuDuration()} taken before and after the run. The peak RSS is
 * Linux's {@code VmHWM} from {@code /proc/<pid>/status}; before each run it is reset by writing {@code 5}
 * to {@code /proc/<pid>/clear_refs} (Linux 4.0+, needs the process's owner or root), so the figure is the
 * peak during that run. Where the reset is refused, the figure is the peak since the process started, and
 * {@link Usage#sinceStart()} says so.
 */
final class ProcessStats {

  /** One process's use during one run. */
  record Usage(double cpuSeconds, double peakRssMiB, boolean sinceStart) {

    String format() {
      return String.format(java.util.Locale.ROOT, "%.1f s / %.0f MiB%s", cpuSeconds, peakRssMiB, sinceStart ? "*" : "");
    }
  }

  private final Map<String, Long> pids;
  private final Map<String, Double> cpuBefore = new LinkedHashMap<>();
  private final Map<String, Boolean> reset = new LinkedHashMap<>();

  /** Processes by the name the report gives them. */
  ProcessStats(Map<String, Long> pids) {
    this.pids = Map.copyOf(pids);
  }

  /** Call just before a run: takes CPU times and resets each peak. */
  void start() {
    for (Map.Entry<String, Long> process : pids.entrySet()) {
      cpuBefore.put(process.getKey(), cpuSeconds(process.getValue()));
      reset.put(process.getKey(), resetPeak(process.getValue()));
    }
  }

  /** Call just after the run: each process's CPU seconds and peak RSS during it. */
  Map<String, Usage> stop() {
    Map<String, Usage> used = new LinkedHashMap<>();
    for (Map.Entry<String, Long> process : pids.entrySet()) {
      double cpu = cpuSeconds(process.getValue()) - cpuBefore.getOrDefault(process.getKey(), 0.0);
      used.put(process.getKey(), new Usage(cpu, peakRssMiB(process.getValue()),
          !reset.getOrDefault(process.getKey(), false)));
    }
    return used;
  }

  static double cpuSeconds(long pid) {
    return ProcessHandle.of(pid).flatMap(process -> process.info().totalCpuDuration())
        .map(duration -> duration.toNanos() / 1e9).orElse(0.0);
  }

  /** {@code VmHWM} in MiB, or 0 where {@code /proc} has no such process. */
  static double peakRssMiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.substring(6).replace("kB", "").strip()) / 1024.0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux, or the process is gone
    }
    return 0;
  }

  private static boolean resetPeak(long pid) {
    try {
      Files.writeString(Path.of("/proc", Long.toString(pid), "clear_refs"), "5");
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
