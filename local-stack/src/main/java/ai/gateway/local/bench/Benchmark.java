package ai.gateway.local.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import ai.gateway.local.LocalStack;
import ai.gateway.local.Postgres;
import ai.gateway.local.Service;
import ai.gateway.simulator.SimulatorConfig;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * The benchmark harness. Starts a stack of the real service jars on free ports with their production
 * configuration (no profile; real credentials made up for the run; rate limits on) and the peer (Portkey,
 * where node is installed), then measures the simulator directly, the gateway in front of it and Portkey
 * in front of it at each concurrency, streaming and not, with each process's CPU seconds and peak RSS,
 * and the freshness of usage. Prints a Markdown report and writes it, with each histogram's percentile
 * distribution and the latency chart ({@code latency.svg}), under {@code --out}.
 *
 * <pre>
 *   ./benchmark.sh                                   # the full run (levels 1, 64 and 256)
 *   ./benchmark.sh --levels=1,64 --requests=300,4000 --portkey=false
 *   ./benchmark.sh --service-jvm-args="-Xmx768m -XX:StartFlightRecording=filename=/tmp/jfr/,dumponexit=true"
 * </pre>
 */
public final class Benchmark {

  /** Pinned simulator: 20 ms to the first token, then 40 tokens at 400 tokens/s (a call of about 120 ms). */
  static final SimulatorConfig SIMULATOR = new SimulatorConfig(0, Duration.ofMillis(20), 400, 40);
  private static final int PER_USER = 10; // the design's limit: 10 a minute

  private static final int WARM_UP_CONCURRENCY = 64;
  private static final double QUIET_CPU_SECONDS = 0.15;

  /** What to run. */
  public record Options(List<Integer> levels, List<Integer> requests, int warmUp, int maxTokens,
      int usagePerSecond, int usageSeconds, Path out, List<String> serviceJvmArgs, boolean portkey,
      Duration settle, int warmUpRounds, double jitQuiet) {

    static Options parse(String... args) {
      Map<String, String> given = arguments(args);
      Options options = new Options(
          ints(given.getOrDefault("levels", "1,64,256")),
          ints(given.getOrDefault("requests", "200,4000,8000")),
          Integer.parseInt(given.getOrDefault("warm-up", "3000")),
          Integer.parseInt(given.getOrDefault("max-tokens", "100")),
          Integer.parseInt(given.getOrDefault("usage-per-second", "1000")),
          Integer.parseInt(given.getOrDefault("usage-seconds", "20")),
          Path.of(given.getOrDefault("out", "target/benchmark")),
          // e.g. --service-jvm-args="-Xmx768m -XX:StartFlightRecording=filename=/tmp/jfr/,dumponexit=true"
          List.of(given.getOrDefault("service-jvm-args", "-Xmx768m").strip().split("\\s+")),
          // --portkey=false leaves the peer out; by default it runs wherever node is installed.
          Boolean.parseBoolean(given.getOrDefault("portkey", "true")),
          // at most this long after the warm-up for the services' CPU to settle (--settle=0 does not wait)
          Duration.ofSeconds(Integer.parseInt(given.getOrDefault("settle", "60"))),
          // the gateway's warm-up repeats (at most this many rounds) while the services' JIT compiler threads use
          // more than --jit-quiet of their CPU in a round
          Integer.parseInt(given.getOrDefault("warm-up-rounds", "12")),
          Double.parseDouble(given.getOrDefault("jit-quiet", "0.05")));
      if (options.levels.size() != options.requests.size()) {
        throw new IllegalArgumentException("--levels and --requests need as many values each");
      }
      return options;
    }

    static Map<String, String> arguments(String... args) {
      Map<String, String> given = new LinkedHashMap<>();
      for (String arg : args) {
        int eq = arg.indexOf('=');
        if (!arg.startsWith("--") || eq < 0) {
          throw new IllegalArgumentException("arguments are --name=value, got " + arg);
        }
        given.put(arg.substring(2, eq), arg.substring(eq + 1));
      }
      return given;
    }

    private static List<Integer> ints(String csv) {
      return Arrays.stream(csv.split(",")).map(String::strip).map(Integer::parseInt).toList();
    }
  }

  /**
   * One run's results, for the report and for the smoke test. {@code usage} holds, per run
   * ({@code target@level}), each measured process's CPU seconds and peak RSS during it;
   * {@code portkeySkipped} says why the peer was not measured, or is null if it was.
   */
  public record Report(List<Load.Result> loads, UsageFreshness.Result freshness,
      Map<String, Map<String, ProcessStats.Usage>> usage, int users, @Nullable String portkeySkipped, String markdown,
      List<Hops.Result> hops) {

    public List<String> targets() {
      return loads.stream().map(load -> load.target() + "@" + load.concurrency()).toList();
    }

    public long errors() {
      return loads.stream().mapToLong(Load.Result::errors).sum();
    }

    public long completed() {
      return loads.stream().mapToLong(Load.Result::completed).sum();
    }

    public long usageSampled() {
      return freshness.sampled();
    }

    public long usageUnseen() {
      return freshness.unseen();
    }
  }

  /** The processes whose CPU and memory each run records, as the report names them. */
  static final String GATEWAY = "gateway";
  static final String WORKER = "worker";
  static final String AGGREGATOR = "aggregator";
  static final String PORTKEY = "portkey";
  static final String HARNESS = "harness";

  private Benchmark() {
  }

  public static void main(String... args) throws Exception {
    Options options = Options.parse(args);
    Path home = Path.of(System.getProperty("local-stack.home", ".")).toAbsolutePath().normalize();
    String mode = Options.arguments(args).getOrDefault("mode", "load");
    if (mode.equals("subscribers")) {
      String markdown = subscribers(home, options, Subscribers.Options.of(Options.arguments(args)));
      System.out.println(markdown);
      System.exit(0);
    } else if (!mode.equals("load")) {
      throw new IllegalArgumentException("--mode is load (the default) or subscribers, got " + mode);
    }
    Report report = run(home, options, options.serviceJvmArgs());
    System.out.println(report.markdown());
    System.exit(0);
  }

  public static Report run(Path home, Options options, List<String> jvmArgs) throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GATEWAY_AUTH_JWT_SECRET", random(32));
    env.put("GATEWAY_ADMIN_TOKEN", random(24));
    env.put("GATEWAY_CALLBACKS_SIGNINGSECRET", "whsec_" + Base64.getEncoder().encodeToString(HexFormat.of()
        .parseHex(random(32))));
    String loadBefore = loadAverage();
    long started = System.nanoTime();
    try (LocalStack stack = LocalStack.builder()
        .home(home)
        .profiles()
        .env(env)
        .simulator(SIMULATOR)
        .jvmArgs(jvmArgs.toArray(String[]::new))
        .start()) {
      progress("stack started", started);
      String portkeySkipped = options.portkey() ? Portkey.unavailable(home) : "left out (--portkey=false)";
      long portkeyStarted = System.nanoTime();
      try (Portkey portkey = portkeySkipped == null
          ? Portkey.start(home, out(options).resolve("portkey.log"), Duration.ofMinutes(5)) : null) {
        if (portkeySkipped != null) {
          System.err.println("Benchmark: Portkey is not measured: " + portkeySkipped);
        } else {
          progress("Portkey started", portkeyStarted);
        }
        return measure(home, options, stack, portkey, portkeySkipped, loadBefore);
      }
    }
  }

  /**
   * Waits until the processes together use less than {@link #QUIET_CPU_SECONDS} of CPU in a second, or
   * {@code limit}; returns what they used in the last second.
   */
  private static double settle(List<Long> pids, Duration limit) throws InterruptedException {
    if (limit.isZero()) {
      return Double.NaN;
    }
    long deadline = System.nanoTime() + limit.toNanos();
    double used;
    do {
      double before = pids.stream().mapToDouble(ProcessStats::cpuSeconds).sum();
      Thread.sleep(1000); // sampling a process's CPU over a second of wall time, not waiting for a condition
      used = pids.stream().mapToDouble(ProcessStats::cpuSeconds).sum() - before;
    } while (used > QUIET_CPU_SECONDS && System.nanoTime() < deadline);
    return used;
  }

  /** {@code --mode=subscribers}: the stack alone (no peer), then {@link Subscribers}. */
  static String subscribers(Path home, Options options, Subscribers.Options subscribers) throws Exception {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GATEWAY_AUTH_JWT_SECRET", random(32));
    env.put("GATEWAY_ADMIN_TOKEN", random(24));
    env.put("GATEWAY_CALLBACKS_SIGNINGSECRET", "whsec_" + Base64.getEncoder().encodeToString(HexFormat.of()
        .parseHex(random(32))));
    env.putAll(Subscribers.raisedSettings(subscribers));
    long started = System.nanoTime();
    try (LocalStack stack = LocalStack.builder()
        .home(home)
        .profiles()
        .env(env)
        .simulator(SIMULATOR)
        .jvmArgs(options.serviceJvmArgs().toArray(String[]::new))
        .start()) {
      progress("stack started", started);
      String markdown = "Commit `" + commit(home) + "`. " + Subscribers.run(stack, subscribers);
      Subscribers.write(out(options), markdown);
      return markdown;
    }
  }

  private static Path out(Options options) {
    return options.out().toAbsolutePath();
  }

  private static Report measure(Path home, Options options, LocalStack stack, @Nullable Portkey portkey,
      @Nullable String portkeySkipped, String loadBefore) throws Exception {
    int gatewayRequests = 2 * options.warmUp() * options.warmUpRounds()
        + 2 * options.requests().stream().mapToInt(Integer::intValue).sum();
    long started = System.nanoTime();
    Keys keys = Keys.create(stack.admin(), gatewayRequests, PER_USER, "bench-" + random(4) + "-");
    progress(keys.users() + " users with keys made", started);
    Targets targets = new Targets(stack.simulator().openAiBaseUrl(), stack.gatewayUrl(),
        portkey == null ? null : portkey.baseUrl(), keys, options.maxTokens());
    Map<String, Long> pids = new LinkedHashMap<>();
    pids.put(GATEWAY, stack.service(Service.GATEWAY).pid());
    pids.put(WORKER, stack.service(Service.WORKER).pid());
    pids.put(AGGREGATOR, stack.service(Service.AGGREGATOR).pid());
    if (portkey != null) {
      pids.put(PORTKEY, portkey.pid());
    }
    pids.put(HARNESS, ProcessHandle.current().pid());
    ProcessStats stats = new ProcessStats(pids);

    // Warm-up (not recorded): the JITs of every process and the connection pools. A JFR recording showed the
    // services' JIT compiler threads using more CPU than their request threads through the first measured runs
    // after 400 warm-up requests at concurrency 16, so the warm-up runs at concurrency 64 and then waits for the
    // services to go quiet (the compile queues drained) before anything is measured.
    // A fixed warm-up of 3,000 of each was not enough either: the services' JIT compiler threads still used a quarter
    // of their CPU in the measured runs (the aggregator's 60 %), and much of the rest ran in C1's profiled code while
    // C2's queue drained; after 20,000 the worker's compiler was idle and 64 streams ran 55 % faster. So the gateway's
    // warm-up repeats until a round leaves the JIT under --jit-quiet of the services' CPU (or --warm-up-rounds), with
    // a settle wait after each: back-to-back rounds kept C2's queue full, and HotSpot raises the C2 thresholds with
    // its queue (Tier4LoadFeedback), so methods stayed in the profiled tiers round after round (27-31 % JIT in each of
    // four rounds); an idle pause drains the queue at full speed.
    started = System.nanoTime();
    Load.run("warm-up", WARM_UP_CONCURRENCY, options.warmUp(), targets::directStream);
    if (portkey != null) {
      Load.run("warm-up", WARM_UP_CONCURRENCY, options.warmUp(), targets::portkeyStream);
      Load.run("warm-up", WARM_UP_CONCURRENCY, options.warmUp(), targets::portkeySync);
    }
    List<Long> services = List.of(pids.get(GATEWAY), pids.get(WORKER), pids.get(AGGREGATOR));
    int rounds = 0;
    double jitShare;
    do {
      double cpu = services.stream().mapToDouble(ProcessStats::cpuSeconds).sum();
      List<Map<Long, Double>> jit = services.stream().map(ProcessStats::jitThreads).toList();
      Load.run("warm-up", WARM_UP_CONCURRENCY, options.warmUp(), targets::gatewayStream);
      Load.run("warm-up", WARM_UP_CONCURRENCY, options.warmUp(), targets::gatewaySync);
      rounds++;
      settle(services, options.settle());
      double usedCpu = services.stream().mapToDouble(ProcessStats::cpuSeconds).sum() - cpu;
      double usedJit = 0;
      for (int i = 0; i < services.size(); i++) {
        usedJit += ProcessStats.jitSince(jit.get(i), ProcessStats.jitThreads(services.get(i)));
      }
      jitShare = usedJit / Math.max(1e-9, usedCpu);
      System.err.printf(Locale.ROOT, "Benchmark: warm-up round %d: the services' JIT used %.0f %% of their %.1f CPU s%n",
          rounds, 100 * jitShare, usedCpu);
    } while (jitShare > options.jitQuiet() && rounds < options.warmUpRounds());
    String warmUp = String.format(Locale.ROOT, "%d round%s of %d streams and %d calls through the gateway (the services' "
            + "JIT compiler threads used %.0f %% of their CPU in the last)", rounds, rounds == 1 ? "" : "s",
        options.warmUp(), options.warmUp(), 100 * jitShare);
    progress("warmed up: " + warmUp, started);
    started = System.nanoTime();
    double idleCpu = settle(services, options.settle());
    if (!Double.isNaN(idleCpu)) {
      progress(String.format(Locale.ROOT, "services settled (%.0f ms CPU in their last second)", idleCpu * 1000),
          started);
    }

    List<Load.Result> loads = new ArrayList<>();
    Map<String, Map<String, ProcessStats.Usage>> usage = new LinkedHashMap<>();
    TopicRecords records = new TopicRecords(stack.bootstrapServers());
    Hops hops = new Hops(stack.bootstrapServers());
    Traced traced = new Traced(records, hops, targets);
    for (int i = 0; i < options.levels().size(); i++) {
      int level = options.levels().get(i);
      int requests = options.requests().get(i);
      loads.add(measured(stats, traced, usage, "direct-stream", level, requests, targets::directStream));
      loads.add(measured(stats, traced, usage, "gateway-stream", level, requests, targets::gatewayStream));
      if (portkey != null) {
        loads.add(measured(stats, traced, usage, "portkey-stream", level, requests, targets::portkeyStream));
      }
      loads.add(measured(stats, traced, usage, "direct-sync", level, requests, targets::directSync));
      loads.add(measured(stats, traced, usage, "gateway-sync", level, requests, targets::gatewaySync));
      if (portkey != null) {
        loads.add(measured(stats, traced, usage, "portkey-sync", level, requests, targets::portkeySync));
      }
    }
    started = System.nanoTime();
    UsageFreshness.Result freshness = UsageFreshness.run(stack.bootstrapServers(), stack.postgres().jdbcUrl(),
        Postgres.USER, Postgres.PASSWORD, options.usagePerSecond(), options.usageSeconds(), 20, Duration.ofSeconds(30));
    progress("usage freshness measured", started);
    Run run = new Run(Instant.now(), commit(home), loadBefore, loadAverage(), portkeySkipped,
        portkey == null ? null : portkeyVersion(home), keys.users(), warmUp);
    String markdown = markdown(options, run, loads, freshness, usage) + records.markdown() + hops.markdown();
    records.close();
    List<Hops.Result> traces = hops.results();
    hops.close();
    String svg = Chart.svg(loads, options.levels(), run.subtitle());
    write(out(options), loads, freshness, markdown, svg);
    return new Report(loads, freshness, usage, keys.users(), portkeySkipped, markdown, traces);
  }

  /** What the report says about the run besides the figures. */
  record Run(Instant at, String commit, String loadBefore, String loadAfter, @Nullable String portkeySkipped,
      @Nullable String portkeyVersion, int users, String warmUp) {

    String subtitle() {
      return String.format(Locale.ROOT, "%s UTC, commit %s, %d cores, load average %s before, %s after; simulator: "
              + "first token after %d ms, %d tokens at %.0f tokens/s", at.toString().substring(0, 16).replace('T', ' '),
          commit, Runtime.getRuntime().availableProcessors(), loadBefore.split(" ")[0], loadAfter.split(" ")[0],
          SIMULATOR.timeToFirstToken().toMillis(), SIMULATOR.answerTokens(), SIMULATOR.tokensPerSecond());
    }
  }

  /** What a gateway run counts and traces besides its timings: records per request, and the hops of each request. */
  private record Traced(TopicRecords records, Hops hops, Targets targets) {
  }

  private static Load.Result measured(ProcessStats stats, Traced traced,
      Map<String, Map<String, ProcessStats.Usage>> usage, String target, int level, int requests, Load.Call call)
      throws InterruptedException {
    boolean counted = target.startsWith("gateway");
    if (counted) {
      traced.records().start();
      traced.targets().trace(traced.hops().start());
    }
    stats.start();
    Load.Result result = Load.run(target, level, requests, call);
    usage.put(target + "@" + level, stats.stop());
    if (counted) {
      traced.targets().trace(null);
      traced.records().stop(target + "@" + level, result.completed());
      traced.hops().stop(target + "@" + level, target.endsWith("stream"));
    }
    System.err.printf(Locale.ROOT, "Benchmark: %s@%d: %d requests, %d errors, %.1f s%n", target, level,
        result.completed(), result.errors(), result.seconds());
    return result;
  }

  private static void progress(String what, long startedNanos) {
    System.err.printf(Locale.ROOT, "Benchmark: %s in %.1f s%n", what, (System.nanoTime() - startedNanos) / 1e9);
  }

  static String markdown(Options options, Run run, List<Load.Result> loads, UsageFreshness.Result freshness,
      Map<String, Map<String, ProcessStats.Usage>> usage) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Benchmark run %s, commit `%s`, on %d cores (%s), %s memory, Java %s%s.%n",
        run.at(), run.commit(), Runtime.getRuntime().availableProcessors(), cpuModel(), memory(),
        System.getProperty("java.version"), run.portkeyVersion() == null ? "" : ", " + run.portkeyVersion()));
    md.append(String.format(Locale.ROOT, "Load average (1, 5, 15 min) before the run: %s; after: %s.%n%n",
        run.loadBefore(), run.loadAfter()));
    md.append(String.format(Locale.ROOT, "Pinned: the simulator answers %d tokens, the first after %d ms, then %.0f "
            + "tokens/s; maxTokens %d; warm-up at concurrency 64: %d requests to each other target, %s, then a wait for "
            + "the services' CPU to settle; service JVMs `%s`. CPU columns: \"(JIT …)\" is the part the JVM's JIT "
            + "compiler threads used.%n",
        SIMULATOR.answerTokens(), SIMULATOR.timeToFirstToken().toMillis(), SIMULATOR.tokensPerSecond(),
        options.maxTokens(), options.warmUp(), run.warmUp(), String.join(" ", options.serviceJvmArgs())));
    md.append(String.format(Locale.ROOT, "Limits on: the design's 10 requests a minute and 60 an hour per user, 20 open "
            + "streams per user. The harness made %d Pro users with a key each through the admin API, so that no user "
            + "sends more than %d requests in the run. Limits raised: none.%n", run.users(), PER_USER));
    md.append(run.portkeySkipped() == null
        ? "Peer: Portkey (`bench/portkey/start.sh`), its OpenAI provider with the simulator as custom host.\n\n"
        : "Peer: **Portkey not measured: " + run.portkeySkipped() + ".**\n\n");
    md.append("| target | conc. | requests | errors | req/s | first token p50 / p90 / p99 / max (ms) "
        + "| total p50 / p90 / p99 / max (ms) | CPU s / peak RSS of its processes |\n");
    md.append("|---|---|---|---|---|---|---|---|\n");
    for (Load.Result load : loads) {
      Map<String, ProcessStats.Usage> used = usage.getOrDefault(load.target() + "@" + load.concurrency(), Map.of());
      md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.0f | %s | %s | %s |%n",
          load.target(), load.concurrency(), load.completed(), load.errors(), load.perSecond(),
          load.firstToken().getTotalCount() == 0 ? "—" : percentiles(load.firstToken()),
          percentiles(load.total()), ownProcesses(load.target(), used)));
    }
    md.append("\nCPU seconds and peak RSS (MiB) of each process during each run; the harness JVM holds the Kafka broker, "
        + "the simulator and the clients (PostgreSQL, its own processes, is not counted)"
        + (anySinceStart(usage) ? "; * peak since the process started (the reset was refused)" : "") + ":\n\n");
    List<String> processes = usage.values().stream().findFirst().map(m -> List.copyOf(m.keySet())).orElse(List.of());
    md.append("| run |");
    processes.forEach(process -> md.append(' ').append(process).append(" |"));
    md.append('\n').append("|---|").append("---|".repeat(processes.size())).append('\n');
    usage.forEach((name, used) -> {
      md.append("| ").append(name).append(" |");
      processes.forEach(process -> md.append(' ').append(used.get(process).format()).append(" |"));
      md.append('\n');
    });
    md.append("\nAdded over direct (same level, same run):\n\n");
    md.append("| conc. | via | first token p50 | first token p99 | stream total p50 | sync total p50 | sync total p99 "
        + "| streams/s | sync req/s |\n");
    md.append("|---|---|---|---|---|---|---|---|---|\n");
    for (int level : options.levels()) {
      Load.Result ds = find(loads, "direct-stream", level);
      Load.Result dy = find(loads, "direct-sync", level);
      for (String via : List.of("gateway", "portkey")) {
        Load.Result gs = findOrNull(loads, via + "-stream", level);
        Load.Result gy = findOrNull(loads, via + "-sync", level);
        if (gs == null || gy == null) {
          continue;
        }
        md.append(String.format(Locale.ROOT, "| %d | %s | %+.1f ms | %+.1f ms | %+.1f ms | %+.1f ms | %+.1f ms "
                + "| %.0f (direct %.0f) | %.0f (direct %.0f) |%n", level, via,
            ms(gs.firstToken(), 50) - ms(ds.firstToken(), 50), ms(gs.firstToken(), 99) - ms(ds.firstToken(), 99),
            ms(gs.total(), 50) - ms(ds.total(), 50), ms(gy.total(), 50) - ms(dy.total(), 50),
            ms(gy.total(), 99) - ms(dy.total(), 99), gs.perSecond(), ds.perSecond(), gy.perSecond(), dy.perSecond()));
      }
    }
    md.append(targetsMet(loads, options.levels()));
    md.append(String.format(Locale.ROOT, "%nUsage freshness (event on ai.usage -> row in ai_usage, which GET /v1/usage reads), "
            + "%d events/s for %d s, %d sent, %d timed, %d not seen within 30 s: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms%n",
        freshness.perSecond(), freshness.seconds(), freshness.sent(), freshness.sampled(), freshness.unseen(),
        ms(freshness.micros(), 50), ms(freshness.micros(), 90), ms(freshness.micros(), 99),
        freshness.micros().getMaxValue() / 1000.0));
    md.append("\nChart: `latency.svg`; histograms: `*.hgrm` (HdrHistogram percentile distributions, ms).\n");
    for (Load.Result load : loads) {
      if (!load.errorSamples().isEmpty()) {
        md.append("\nErrors of ").append(load.target()).append('@').append(load.concurrency()).append(": ")
            .append(load.errorSamples()).append('\n');
      }
    }
    return md.toString();
  }

  /** The issue's targets at concurrency 64, each with where this run stands. */
  private static String targetsMet(List<Load.Result> loads, List<Integer> levels) {
    if (!levels.contains(64)) {
      return "\nTargets (issue 9) are judged at concurrency 64, which this run did not measure.\n";
    }
    StringBuilder md = new StringBuilder("\nTargets (issue 9), at concurrency 64:\n\n| target | this run | met |\n|---|---|---|\n");
    Load.Result ds = find(loads, "direct-stream", 64);
    Load.Result gs = find(loads, "gateway-stream", 64);
    Load.Result gy = find(loads, "gateway-sync", 64);
    Load.Result py = findOrNull(loads, "portkey-sync", 64);
    double p50 = ms(gs.firstToken(), 50) - ms(ds.firstToken(), 50);
    double p99 = ms(gs.firstToken(), 99) - ms(ds.firstToken(), 99);
    md.append(String.format(Locale.ROOT, "| first token at 64 streams: at most +5 ms p50 over direct | %+.1f ms | %s |%n",
        p50, p50 <= 5 ? "yes" : "**no**"));
    md.append(String.format(Locale.ROOT, "| first token at 64 streams: at most +20 ms p99 over direct | %+.1f ms | %s |%n",
        p99, p99 <= 20 ? "yes" : "**no**"));
    if (py == null) {
      md.append("| non-streamed: at least 2× Portkey's req/s | Portkey not measured | — |\n");
    } else {
      double ratio = gy.perSecond() / py.perSecond();
      md.append(String.format(Locale.ROOT, "| non-streamed: at least 2× Portkey's req/s | %.0f vs %.0f: %.2f× | %s |%n",
          gy.perSecond(), py.perSecond(), ratio, ratio >= 2 ? "yes" : "**no**"));
    }
    double syncP99 = ms(gy.total(), 99);
    md.append(String.format(Locale.ROOT, "| non-streamed: p99 under 50 ms | %.1f ms | %s |%n",
        syncP99, syncP99 < 50 ? "yes" : "**no**"));
    return md.toString();
  }

  private static String ownProcesses(String target, Map<String, ProcessStats.Usage> used) {
    List<String> own = target.startsWith("gateway") ? List.of(GATEWAY, WORKER, AGGREGATOR)
        : target.startsWith("portkey") ? List.of(PORTKEY) : List.of();
    if (own.isEmpty()) {
      return "—";
    }
    StringBuilder text = new StringBuilder();
    for (String process : own) {
      ProcessStats.Usage usage = used.get(process);
      if (usage != null) {
        text.append(text.isEmpty() ? "" : "; ").append(process).append(' ').append(usage.format());
      }
    }
    return text.toString();
  }

  private static boolean anySinceStart(Map<String, Map<String, ProcessStats.Usage>> usage) {
    return usage.values().stream().flatMap(m -> m.values().stream()).anyMatch(ProcessStats.Usage::sinceStart);
  }

  private static Load.Result find(List<Load.Result> loads, String target, int level) {
    Load.Result found = findOrNull(loads, target, level);
    if (found == null) {
      throw new IllegalStateException("no run of " + target + " at " + level);
    }
    return found;
  }

  private static Load.@Nullable Result findOrNull(List<Load.Result> loads, String target, int level) {
    return loads.stream().filter(load -> load.target().equals(target) && load.concurrency() == level).findFirst()
        .orElse(null);
  }

  private static String percentiles(Histogram histogram) {
    return String.format(Locale.ROOT, "%.1f / %.1f / %.1f / %.1f", ms(histogram, 50), ms(histogram, 90),
        ms(histogram, 99), histogram.getMaxValue() / 1000.0);
  }

  /** The percentile of a histogram of microseconds, in milliseconds (0 when empty). */
  static double ms(Histogram histogram, double percentile) {
    return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  private static void write(Path out, List<Load.Result> loads, UsageFreshness.Result freshness, String markdown,
      String svg) {
    try {
      Files.createDirectories(out);
      Files.writeString(out.resolve("report.md"), markdown);
      Files.writeString(out.resolve("latency.svg"), svg);
      for (Load.Result load : loads) {
        String name = load.target() + "-c" + load.concurrency();
        writeDistribution(out.resolve(name + "-total.hgrm"), load.total());
        if (load.firstToken().getTotalCount() > 0) {
          writeDistribution(out.resolve(name + "-first-token.hgrm"), load.firstToken());
        }
      }
      writeDistribution(out.resolve("usage-freshness.hgrm"), freshness.micros());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** HdrHistogram's percentile distribution, in milliseconds (plottable with its online plotter). */
  private static void writeDistribution(Path file, Histogram histogram) throws IOException {
    try (PrintStream print = new PrintStream(Files.newOutputStream(file), true, StandardCharsets.UTF_8)) {
      histogram.outputPercentileDistribution(print, 1000.0);
    }
  }

  /** The commit measured: {@code git rev-parse --short HEAD}, marked {@code +changes} if the tree is dirty. */
  private static String commit(Path home) {
    String head = command(home, "git", "rev-parse", "--short", "HEAD");
    if (head.isEmpty()) {
      return "unknown";
    }
    return command(home, "git", "status", "--porcelain", "--untracked-files=no").isEmpty() ? head : head + "+changes";
  }

  private static String portkeyVersion(Path home) {
    Path manifest = home.resolve("bench/portkey/node_modules/@portkey-ai/gateway/package.json");
    String node = command(home, "node", "--version");
    try {
      java.util.regex.Matcher version = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"")
          .matcher(Files.readString(manifest));
      return "Portkey gateway " + (version.find() ? version.group(1) : "?") + " on node " + node;
    } catch (IOException e) {
      return "Portkey gateway on node " + node;
    }
  }

  private static String command(Path dir, String... command) {
    try {
      Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return process.waitFor() == 0 ? output : "";
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      return "?";
    }
  }

  private static String cpuModel() {
    try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(line -> line.startsWith("model name")).findFirst()
          .map(line -> line.substring(line.indexOf(':') + 1).strip()).orElse("?");
    } catch (IOException | UncheckedIOException e) {
      return "?";
    }
  }

  private static String memory() {
    try (var lines = Files.lines(Path.of("/proc/meminfo"))) {
      return lines.filter(line -> line.startsWith("MemTotal:")).findFirst()
          .map(line -> String.format(Locale.ROOT, "%.0f GiB",
              Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0)).orElse("?");
    } catch (IOException | UncheckedIOException e) {
      return "?";
    }
  }

  private static String random(int bytes) {
    byte[] value = new byte[bytes];
    new SecureRandom().nextBytes(value);
    return HexFormat.of().formatHex(value);
  }
}
