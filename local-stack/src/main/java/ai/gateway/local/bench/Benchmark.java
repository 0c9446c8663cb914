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
import java.util.EnumMap;
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

/**
 * The benchmark harness. Starts a stack of the real service jars on free ports with their production
 * configuration (no profile; real credentials made up for the run; rate limits on), then measures the
 * simulator directly and the gateway in front of it at each concurrency, streaming and not, and the
 * freshness of usage. Prints a Markdown report and writes it, with each histogram's percentile
 * distribution, under {@code --out}.
 *
 * <pre>
 *   ./benchmark.sh                                   # the full run (levels 1 and 64)
 *   ./benchmark.sh --levels=1,64,256 --requests=300,4000,8000
 *   ./benchmark.sh --service-jvm-args="-Xmx768m -XX:StartFlightRecording=filename=/tmp/jfr/,dumponexit=true"
 * </pre>
 */
public final class Benchmark {

  /** Pinned simulator: 20 ms to the first token, then 40 tokens at 400 tokens/s (a call of about 120 ms). */
  static final SimulatorConfig SIMULATOR = new SimulatorConfig(0, Duration.ofMillis(20), 400, 40);
  private static final int PER_USER = 10; // the design's limit: 10 a minute

  /** What to run. */
  public record Options(List<Integer> levels, List<Integer> requests, int warmUp, int maxTokens,
      int usagePerSecond, int usageSeconds, Path out, List<String> serviceJvmArgs) {

    static Options parse(String... args) {
      Map<String, String> given = new LinkedHashMap<>();
      for (String arg : args) {
        int eq = arg.indexOf('=');
        if (!arg.startsWith("--") || eq < 0) {
          throw new IllegalArgumentException("arguments are --name=value, got " + arg);
        }
        given.put(arg.substring(2, eq), arg.substring(eq + 1));
      }
      Options options = new Options(
          ints(given.getOrDefault("levels", "1,64")),
          ints(given.getOrDefault("requests", "300,4000")),
          Integer.parseInt(given.getOrDefault("warm-up", "400")),
          Integer.parseInt(given.getOrDefault("max-tokens", "100")),
          Integer.parseInt(given.getOrDefault("usage-per-second", "1000")),
          Integer.parseInt(given.getOrDefault("usage-seconds", "20")),
          Path.of(given.getOrDefault("out", "target/benchmark")),
          // e.g. --service-jvm-args="-Xmx768m -XX:StartFlightRecording=filename=/tmp/jfr/,dumponexit=true"
          List.of(given.getOrDefault("service-jvm-args", "-Xmx768m").strip().split("\\s+")));
      if (options.levels.size() != options.requests.size()) {
        throw new IllegalArgumentException("--levels and --requests need as many values each");
      }
      return options;
    }

    private static List<Integer> ints(String csv) {
      return Arrays.stream(csv.split(",")).map(String::strip).map(Integer::parseInt).toList();
    }
  }

  /** One run's results, for the report and for the smoke test. */
  public record Report(List<Load.Result> loads, UsageFreshness.Result freshness, Map<String, Map<Service, Double>> cpuSeconds,
      int users, String markdown) {

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

  private Benchmark() {
  }

  public static void main(String... args) throws Exception {
    Options options = Options.parse(args);
    Path home = Path.of(System.getProperty("local-stack.home", ".")).toAbsolutePath().normalize();
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
    try (LocalStack stack = LocalStack.builder()
        .home(home)
        .profiles()
        .env(env)
        .simulator(SIMULATOR)
        .jvmArgs(jvmArgs.toArray(String[]::new))
        .start()) {
      int gatewayRequests = 2 * options.warmUp() + 2 * options.requests().stream().mapToInt(Integer::intValue).sum();
      Keys keys = Keys.create(stack.admin(), gatewayRequests, PER_USER, "bench-" + random(4) + "-");
      Targets targets = new Targets(stack.simulator().openAiBaseUrl(), stack.gatewayUrl(), keys, options.maxTokens());

      // Warm-up (not recorded): the JITs of every process and the connection pools.
      Load.run("warm-up", 16, options.warmUp(), targets::gatewayStream);
      Load.run("warm-up", 16, options.warmUp(), targets::gatewaySync);
      Load.run("warm-up", 16, options.warmUp(), targets::directStream);

      List<Load.Result> loads = new ArrayList<>();
      Map<String, Map<Service, Double>> cpu = new LinkedHashMap<>();
      for (int i = 0; i < options.levels().size(); i++) {
        int level = options.levels().get(i);
        int requests = options.requests().get(i);
        loads.add(measured(stack, cpu, "direct-stream", level, requests, targets::directStream));
        loads.add(measured(stack, cpu, "gateway-stream", level, requests, targets::gatewayStream));
        loads.add(measured(stack, cpu, "direct-sync", level, requests, targets::directSync));
        loads.add(measured(stack, cpu, "gateway-sync", level, requests, targets::gatewaySync));
      }
      UsageFreshness.Result freshness = UsageFreshness.run(stack.bootstrapServers(), stack.postgres().jdbcUrl(),
          Postgres.USER, Postgres.PASSWORD, options.usagePerSecond(), options.usageSeconds(), 20, Duration.ofSeconds(30));
      String markdown = markdown(options, loads, freshness, cpu, keys.users());
      write(options.out(), loads, freshness, markdown);
      return new Report(loads, freshness, cpu, keys.users(), markdown);
    }
  }

  private static Load.Result measured(LocalStack stack, Map<String, Map<Service, Double>> cpu, String target, int level,
      int requests, Load.Call call) throws InterruptedException {
    Map<Service, Double> before = cpuSeconds(stack);
    Load.Result result = Load.run(target, level, requests, call);
    Map<Service, Double> after = cpuSeconds(stack);
    Map<Service, Double> used = new EnumMap<>(Service.class);
    after.forEach((service, seconds) -> used.put(service, seconds - before.getOrDefault(service, 0.0)));
    cpu.put(target + "@" + level, used);
    return result;
  }

  private static Map<Service, Double> cpuSeconds(LocalStack stack) {
    Map<Service, Double> seconds = new EnumMap<>(Service.class);
    for (Service service : Service.values()) {
      ProcessHandle.of(stack.service(service).pid())
          .flatMap(process -> process.info().totalCpuDuration())
          .ifPresent(duration -> seconds.put(service, duration.toNanos() / 1e9));
    }
    return seconds;
  }

  static String markdown(Options options, List<Load.Result> loads, UsageFreshness.Result freshness,
      Map<String, Map<Service, Double>> cpu, int users) {
    StringBuilder md = new StringBuilder();
    md.append("Benchmark run ").append(Instant.now()).append(" on ").append(Runtime.getRuntime().availableProcessors())
        .append(" cores, Java ").append(System.getProperty("java.version")).append('\n');
    md.append(String.format(Locale.ROOT, "Simulator: %d ms to the first token, %d-token answers at %.0f tokens/s; "
            + "maxTokens %d; warm-up %d requests per target; rate limits on (%d users of %d requests each).%n%n",
        SIMULATOR.timeToFirstToken().toMillis(), SIMULATOR.answerTokens(), SIMULATOR.tokensPerSecond(),
        options.maxTokens(), options.warmUp(), users, PER_USER));
    md.append("| target | conc. | requests | errors | req/s | first token p50 / p90 / p99 / max (ms) | total p50 / p90 / p99 / max (ms) | CPU s gateway / worker / aggregator |\n");
    md.append("|---|---|---|---|---|---|---|---|\n");
    for (Load.Result load : loads) {
      Map<Service, Double> used = cpu.getOrDefault(load.target() + "@" + load.concurrency(), Map.of());
      md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %.0f | %s | %s | %s |%n",
          load.target(), load.concurrency(), load.completed(), load.errors(), load.perSecond(),
          load.firstToken().getTotalCount() == 0 ? "—" : percentiles(load.firstToken()),
          percentiles(load.total()),
          load.target().startsWith("gateway") ? String.format(Locale.ROOT, "%.1f / %.1f / %.1f",
              used.getOrDefault(Service.GATEWAY, 0.0), used.getOrDefault(Service.WORKER, 0.0),
              used.getOrDefault(Service.AGGREGATOR, 0.0)) : "—"));
    }
    md.append("\nAdded by the gateway (gateway minus direct, same level):\n\n");
    md.append("| conc. | first token p50 | first token p99 | total p50 (stream) | total p50 (sync) | total p99 (sync) | req/s sync (gateway / direct) |\n");
    md.append("|---|---|---|---|---|---|---|\n");
    for (int level : options.levels()) {
      Load.Result ds = find(loads, "direct-stream", level);
      Load.Result gs = find(loads, "gateway-stream", level);
      Load.Result dy = find(loads, "direct-sync", level);
      Load.Result gy = find(loads, "gateway-sync", level);
      md.append(String.format(Locale.ROOT, "| %d | %+.1f ms | %+.1f ms | %+.1f ms | %+.1f ms | %+.1f ms | %.0f / %.0f |%n", level,
          ms(gs.firstToken(), 50) - ms(ds.firstToken(), 50), ms(gs.firstToken(), 99) - ms(ds.firstToken(), 99),
          ms(gs.total(), 50) - ms(ds.total(), 50), ms(gy.total(), 50) - ms(dy.total(), 50),
          ms(gy.total(), 99) - ms(dy.total(), 99), gy.perSecond(), dy.perSecond()));
    }
    md.append(String.format(Locale.ROOT, "%nUsage freshness (event on ai.usage -> row in ai_usage, which GET /v1/usage reads), "
            + "%d events/s for %d s, %d sent, %d timed, %d not seen within 30 s: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms%n",
        freshness.perSecond(), freshness.seconds(), freshness.sent(), freshness.sampled(), freshness.unseen(),
        ms(freshness.micros(), 50), ms(freshness.micros(), 90), ms(freshness.micros(), 99),
        freshness.micros().getMaxValue() / 1000.0));
    for (Load.Result load : loads) {
      if (!load.errorSamples().isEmpty()) {
        md.append("\nErrors of ").append(load.target()).append('@').append(load.concurrency()).append(": ")
            .append(load.errorSamples()).append('\n');
      }
    }
    return md.toString();
  }

  private static Load.Result find(List<Load.Result> loads, String target, int level) {
    return loads.stream().filter(load -> load.target().equals(target) && load.concurrency() == level).findFirst()
        .orElseThrow();
  }

  private static String percentiles(Histogram histogram) {
    return String.format(Locale.ROOT, "%.1f / %.1f / %.1f / %.1f", ms(histogram, 50), ms(histogram, 90),
        ms(histogram, 99), histogram.getMaxValue() / 1000.0);
  }

  private static double ms(Histogram histogram, double percentile) {
    return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  private static void write(Path out, List<Load.Result> loads, UsageFreshness.Result freshness, String markdown) {
    try {
      Files.createDirectories(out);
      Files.writeString(out.resolve("report.md"), markdown);
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

  private static String random(int bytes) {
    byte[] value = new byte[bytes];
    new SecureRandom().nextBytes(value);
    return HexFormat.of().formatHex(value);
  }
}
