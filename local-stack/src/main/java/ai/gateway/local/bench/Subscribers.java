package ai.gateway.local.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.gateway.local.LocalStack;
import ai.gateway.local.Service;
import io.netty.channel.ChannelOption;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.http.client.HttpClient.ResponseReceiver;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * {@code --mode=subscribers}: issue 9's "10,000 concurrent subscribers on {@code GET /v1/jobs/{id}/events} of
 * slow jobs on one gateway instance, without errors". Makes {@code subscribers / 20} Pro users (the design's 20
 * open streams each), each submits one slow async job (model {@code sim-ms-<job-ms>}: the simulator spreads its
 * answer over that long), then opens 20 subscribers of it at once, at most {@code --opening} connections being
 * set up at a time. Every subscriber reads to its job's terminal event, checking each event arrives once and in
 * order. Reports subscribers opened, errors by kind, the time to open them all, first-event and completion
 * latency percentiles (from each subscriber's request), and the gateway's CPU seconds and peak RSS.
 *
 * <p>Raised for the run, and said so in the report: the job's per-attempt timeout and the events' replay timeout
 * (the jobs run longer than their defaults), and the file descriptor limit ({@code benchmark.sh} raises the
 * soft limit to the hard one; the forked gateway inherits it).
 */
final class Subscribers {

  static final int STREAMS_PER_USER = 20;
  private static final Pattern JOB_ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f-]{36})\"");
  private static final Pattern EVENT = Pattern.compile("^event:\\s*(\\S+)", Pattern.MULTILINE);
  private static final Pattern ID = Pattern.compile("^id:\\s*(\\d+)\\.(\\d+)", Pattern.MULTILINE);

  record Options(int subscribers, int jobMillis, int opening, Duration deadline) {

    static Options of(Map<String, String> given) {
      return new Options(Integer.parseInt(given.getOrDefault("subscribers", "10000")),
          Integer.parseInt(given.getOrDefault("job-ms", "120000")),
          Integer.parseInt(given.getOrDefault("opening", "1024")),
          Duration.ofSeconds(Long.parseLong(given.getOrDefault("deadline-s", "600"))));
    }
  }

  private Subscribers() {
  }

  /** The gateway's settings this mode raises, as environment variables of the forked services. */
  static Map<String, String> raisedSettings(Options options) {
    Map<String, String> env = new LinkedHashMap<>();
    Duration job = Duration.ofMillis(options.jobMillis());
    env.put("GATEWAY_JOBS_ATTEMPTTIMEOUT", job.multipliedBy(2).plusSeconds(30).toSeconds() + "s");
    env.put("GATEWAY_REPLIES_REPLAYTIMEOUT", options.deadline().toSeconds() + "s");
    return env;
  }

  static String run(LocalStack stack, Options options) throws Exception {
    int users = (options.subscribers() + STREAMS_PER_USER - 1) / STREAMS_PER_USER;
    long started = System.nanoTime();
    Keys keys = Keys.create(stack.admin(), users, 1, "subs-" + Long.toHexString(System.nanoTime()) + "-");
    progress(users + " users with keys made", started);

    Map<String, Long> pids = new LinkedHashMap<>();
    pids.put(Benchmark.GATEWAY, stack.service(Service.GATEWAY).pid());
    pids.put(Benchmark.WORKER, stack.service(Service.WORKER).pid());
    pids.put(Benchmark.HARNESS, ProcessHandle.current().pid());
    ProcessStats stats = new ProcessStats(pids);

    // The jobs: one per user, slow.
    started = System.nanoTime();
    HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    List<String> userKeys = new ArrayList<>();
    List<java.util.concurrent.Future<String>> submitted = new ArrayList<>();
    stats.start();
    java.util.concurrent.ExecutorService submitters = java.util.concurrent.Executors.newFixedThreadPool(16);
    for (int u = 0; u < users; u++) {
      String key = keys.next();
      userKeys.add(key);
      submitted.add(submitters.submit(() -> {
        HttpResponse<String> accepted = jdk.send(HttpRequest.newBuilder(URI.create(stack.gatewayUrl() + "/v1/jobs"))
            .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Count slowly\",\"model\":\"sim-ms-"
                + options.jobMillis() + "\",\"maxTokens\":100}")).build(), HttpResponse.BodyHandlers.ofString());
        Matcher id = JOB_ID.matcher(accepted.body());
        if (accepted.statusCode() != 202 || !id.find()) {
          throw new IllegalStateException("POST /v1/jobs answered " + accepted.statusCode() + ": " + accepted.body());
        }
        return id.group(1);
      }));
    }
    List<String> jobs = new ArrayList<>();
    for (java.util.concurrent.Future<String> job : submitted) {
      jobs.add(job.get());
    }
    submitters.shutdown();
    progress(users + " jobs submitted, 16 at a time", started);

    // The subscribers: 20 per job, opening at most `opening` connections at a time.
    ConnectionProvider pool = ConnectionProvider.builder("subscribers").maxConnections(options.subscribers() + 16)
        .pendingAcquireMaxCount(-1).pendingAcquireTimeout(options.deadline()).build();
    LoopResources loops = LoopResources.create("subscribers", 2, true);
    reactor.netty.http.client.HttpClient client = reactor.netty.http.client.HttpClient.create(pool).runOn(loops)
        .baseUrl(stack.gatewayUrl()).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
    Tally tally = new Tally();
    CountDownLatch ended = new CountDownLatch(options.subscribers());
    long openStart = System.nanoTime();
    AtomicLong lastOpened = new AtomicLong(openStart);
    Flux.range(0, options.subscribers())
        .flatMap(i -> {
          int job = i / STREAMS_PER_USER;
          return subscribe(client, userKeys.get(job), jobs.get(job), tally, lastOpened, ended);
        }, options.opening())
        .subscribe();
    boolean all = ended.await(options.deadline().toSeconds(), TimeUnit.SECONDS);
    Map<String, ProcessStats.Usage> used = stats.stop();
    double openSeconds = (lastOpened.get() - openStart) / 1e9;
    pool.disposeLater().block(Duration.ofSeconds(10));
    loops.disposeLater().block(Duration.ofSeconds(10));

    Histogram first = tally.firstEvent.getIntervalHistogram();
    Histogram done = tally.completion.getIntervalHistogram();
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Subscribers run %s on %d cores: %d subscribers of GET /v1/jobs/{id}/events, %d users "
            + "(%d open streams each, the design's limit), one job each (model sim-ms-%d: the answer spread over %.0f s), "
            + "at most %d connections being opened at once.%n", Instant.now(), Runtime.getRuntime().availableProcessors(),
        options.subscribers(), users, STREAMS_PER_USER, options.jobMillis(), options.jobMillis() / 1000.0, options.opening()));
    md.append(String.format(Locale.ROOT, "Raised for the run: open files (ulimit -n, raised by benchmark.sh) of the gateway "
            + "%s, of the harness %s; gateway and worker settings %s.%n%n", openFilesLimit(pids.get(Benchmark.GATEWAY)),
        openFilesLimit(ProcessHandle.current().pid()), raisedSettings(options)));
    md.append("| subscribers | opened (200) | most open at once | ended with done | errors | time to open all | first event p50 / p90 / p99 / max "
        + "| completion p50 / p90 / p99 / max | gateway CPU s / peak RSS | worker | harness |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    md.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d | %.1f s | %s | %s | %s | %s | %s |%n", options.subscribers(),
        tally.opened.sum(), tally.open.get(), tally.done.sum(), tally.errorCount(), openSeconds, seconds(first), seconds(done),
        used.get(Benchmark.GATEWAY).format(), used.get(Benchmark.WORKER).format(), used.get(Benchmark.HARNESS).format()));
    md.append(String.format(Locale.ROOT, "%nLatencies in seconds from each subscriber's request. Errors by kind: %s%s%n",
        tally.errors.isEmpty() ? "none" : new TreeMap<>(tally.errors),
        all ? "" : String.format(Locale.ROOT, "; **%d subscribers had not ended after %d s**", ended.getCount(),
            options.deadline().toSeconds())));
    return md.toString();
  }

  /** One subscriber: completes its returned Mono once the response status is in (the opening slot is freed). */
  private static Mono<Void> subscribe(reactor.netty.http.client.HttpClient client, String key, String jobId, Tally tally,
      AtomicLong lastOpened, CountDownLatch ended) {
    Sinks.Empty<Void> opened = Sinks.empty();
    long start = System.nanoTime();
    Reading reading = new Reading();
    ResponseReceiver<?> request = client.headers(h -> h.set("Authorization", "Bearer " + key).set("Accept", "text/event-stream"))
        .get().uri("/v1/jobs/" + jobId + "/events");
    request.response((response, body) -> {
          int status = response.status().code();
          opened.tryEmitEmpty();
          if (status != 200) {
            tally.error("status " + status);
            reading.refused = true;
            return body.then();
          }
          tally.opened.increment();
          tally.open.accumulateAndGet(tally.opened.sum() - tally.closed.sum(), Math::max);
          lastOpened.accumulateAndGet(System.nanoTime(), Math::max);
          return body.asString().doOnNext(text -> reading.read(text, start, tally)).then();
        })
        .doOnError(error -> {
          opened.tryEmitEmpty();
          tally.error(error.getClass().getSimpleName());
        })
        .doOnComplete(() -> reading.finish(tally))
        .doFinally(signal -> {
          if (!reading.refused) {
            tally.closed.increment();
          }
          ended.countDown();
        })
        .subscribe(item -> { }, error -> { });
    return opened.asMono();
  }

  /** One subscriber's SSE parse: events split on blank lines; ids must rise by one within an attempt. */
  private static final class Reading {

    private final StringBuilder buffer = new StringBuilder();
    volatile boolean refused;
    private boolean firstSeen;
    private boolean terminal;
    private boolean broken;
    private int attempt;
    private int seq;

    void read(String text, long start, Tally tally) {
      buffer.append(text.replace("\r\n", "\n"));
      int end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        String block = buffer.substring(0, end);
        buffer.delete(0, end + 2);
        Matcher event = EVENT.matcher(block);
        if (!event.find()) {
          continue; // a keep-alive comment
        }
        long micros = (System.nanoTime() - start) / 1_000;
        if (!firstSeen) {
          firstSeen = true;
          tally.firstEvent.recordValue(micros);
        }
        String name = event.group(1);
        Matcher id = ID.matcher(block);
        if (id.find()) {
          int a = Integer.parseInt(id.group(1));
          int s = Integer.parseInt(id.group(2));
          boolean next = a == attempt ? s > seq : a > attempt;
          if (!next && !broken) {
            broken = true;
            tally.error("event out of order or repeated");
          }
          attempt = a;
          seq = s;
        }
        if (name.equals("done") || name.equals("error")) {
          terminal = true;
          tally.completion.recordValue(micros);
          if (name.equals("done")) {
            tally.done.increment();
          } else {
            Matcher code = Pattern.compile("\"code\"\\s*:\\s*\"([A-Z_]+)\"").matcher(block);
            tally.error("error event " + (code.find() ? code.group(1) : "?"));
          }
        }
      }
    }

    void finish(Tally tally) {
      if (!terminal && !broken && !refused) {
        tally.error("ended without a terminal event");
      }
    }
  }

  private static final class Tally {
    final LongAdder opened = new LongAdder();
    final LongAdder done = new LongAdder();
    final LongAdder closed = new LongAdder();
    /** The most subscribers open at once (opened less ended, sampled as each opens). */
    final AtomicLong open = new AtomicLong();
    final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    final Recorder firstEvent = new Recorder(3);
    final Recorder completion = new Recorder(3);

    void error(String kind) {
      errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    long errorCount() {
      return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }
  }

  private static String seconds(Histogram histogram) {
    if (histogram.getTotalCount() == 0) {
      return "—";
    }
    return String.format(Locale.ROOT, "%.2f / %.2f / %.2f / %.2f s", histogram.getValueAtPercentile(50) / 1e6,
        histogram.getValueAtPercentile(90) / 1e6, histogram.getValueAtPercentile(99) / 1e6, histogram.getMaxValue() / 1e6);
  }

  /** The soft limit of open files of a process, from {@code /proc/<pid>/limits}. */
  static String openFilesLimit(long pid) {
    try (var lines = Files.lines(Path.of("/proc/" + pid + "/limits"))) {
      return lines.filter(line -> line.startsWith("Max open files")).findFirst()
          .map(line -> line.substring("Max open files".length()).strip().split("\\s+")[0]).orElse("?");
    } catch (IOException | UncheckedIOException e) {
      return "?";
    }
  }

  private static void progress(String what, long startedNanos) {
    System.err.printf(Locale.ROOT, "Benchmark: %s in %.1f s%n", what, (System.nanoTime() - startedNanos) / 1e9);
  }

  static void write(Path out, String markdown) {
    try {
      Files.createDirectories(out);
      Files.writeString(out.resolve("subscribers.md"), markdown);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
