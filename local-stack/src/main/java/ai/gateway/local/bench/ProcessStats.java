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
 * {@link Usage#sinceStart()} says so. The CPU of a JVM's JIT compiler threads ({@code C1 CompilerThre…},
 * {@code C2 CompilerThre…} in {@code /proc/<pid>/task/<tid>/comm}, their {@code utime + stime}) is given apart:
 * how much of a run the services spent compiling rather than serving.
 */
final class ProcessStats {

  /** One process's use during one run. */
  record Usage(double cpuSeconds, double jitSeconds, double peakRssMiB, boolean sinceStart) {

    String format() {
      return String.format(java.util.Locale.ROOT, "%.1f s%s / %.0f MiB%s", cpuSeconds,
          jitSeconds > 0.05 ? String.format(java.util.Locale.ROOT, " (JIT %.1f s)", jitSeconds) : "", peakRssMiB,
          sinceStart ? "*" : "");
    }
  }

  /** Linux's clock ticks per second for /proc's utime and stime (USER_HZ, 100 on every mainstream kernel). */
  private static final double TICKS_PER_SECOND = 100;

  private final Map<String, Long> pids;
  private final Map<String, Double> cpuBefore = new LinkedHashMap<>();
  private final Map<String, Map<Long, Double>> jitBefore = new LinkedHashMap<>();
  private final Map<String, Boolean> reset = new LinkedHashMap<>();

  /** Processes by the name the report gives them. */
  ProcessStats(Map<String, Long> pids) {
    this.pids = Map.copyOf(pids);
  }

  /** Call just before a run: takes CPU times and resets each peak. */
  void start() {
    for (Map.Entry<String, Long> process : pids.entrySet()) {
      cpuBefore.put(process.getKey(), cpuSeconds(process.getValue()));
      jitBefore.put(process.getKey(), jitThreads(process.getValue()));
      reset.put(process.getKey(), resetPeak(process.getValue()));
    }
  }

  /** Call just after the run: each process's CPU seconds and peak RSS during it. */
  Map<String, Usage> stop() {
    Map<String, Usage> used = new LinkedHashMap<>();
    for (Map.Entry<String, Long> process : pids.entrySet()) {
      double cpu = cpuSeconds(process.getValue()) - cpuBefore.getOrDefault(process.getKey(), 0.0);
      double jit = jitSince(jitBefore.getOrDefault(process.getKey(), Map.of()), jitThreads(process.getValue()));
      used.put(process.getKey(), new Usage(cpu, jit, peakRssMiB(process.getValue()),
          !reset.getOrDefault(process.getKey(), false)));
    }
    return used;
  }

  static double cpuSeconds(long pid) {
    return ProcessHandle.of(pid).flatMap(process -> process.info().totalCpuDuration())
        .map(duration -> duration.toNanos() / 1e9).orElse(0.0);
  }

  /**
   * The JIT's CPU seconds between two {@link #jitThreads} readings, thread by thread: HotSpot starts and stops
   * extra compiler threads as its queues grow and shrink ({@code UseDynamicNumberOfCompilerThreads}), and a
   * thread gone takes its time with it, so a difference of sums could even come out negative. A thread that
   * ended in between counts for nothing (an underestimate), a new one from zero.
   */
  static double jitSince(Map<Long, Double> before, Map<Long, Double> after) {
    double seconds = 0;
    for (Map.Entry<Long, Double> thread : after.entrySet()) {
      seconds += Math.max(0, thread.getValue() - before.getOrDefault(thread.getKey(), 0.0));
    }
    return seconds;
  }

  /** CPU seconds of each JIT compiler thread of the process now, by thread id (empty without {@code /proc}). */
  static Map<Long, Double> jitThreads(long pid) {
    Map<Long, Double> threads = new java.util.HashMap<>();
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String name = Files.readString(task.resolve("comm")).strip();
          if (!name.startsWith("C1 Compiler") && !name.startsWith("C2 Compiler")) {
            continue;
          }
          String stat = Files.readString(task.resolve("stat"));
          // fields after the ")" that closes the name: state is the 3rd field, utime the 14th, stime the 15th
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          threads.put(Long.parseLong(task.getFileName().toString()),
              (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND);
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      return Map.of(); // not Linux, or the process is gone
    }
    return threads;
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
