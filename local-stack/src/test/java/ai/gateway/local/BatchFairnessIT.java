package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ai.gateway.simulator.LedgerEntry;
import ai.gateway.simulator.SimulatorConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Issue 8's fairness on the real service jars: a user's interactive time to first token (sequential
 * {@code POST /v1/generate/stream} calls) is measured first with no batch, then while two large batches run, one
 * of the same user and one of another user, fed at the shipped K (8 in flight per user) into the workers' batch
 * lane. The batches must really be running during the second measurement (the simulator's ledger shows batch calls
 * running across the interactive calls, the worker's batch lane holds items, both batches make progress and are
 * still unfinished at its end), and the interactive p50 must stay within the noise of the baseline:
 * {@code p50 during <= max(2 x p50 before, p50 before + 50 ms)}.
 *
 * <p>Why that bound: with the simulator's time to first token pinned at 20 ms, the baseline's p50 is the gateway's
 * and the worker's own path (tens of milliseconds on this 2-core machine) and its spread (p90 − p50) is of the
 * same order, while the JVMs' garbage collection and JIT and the batch items' own CPU (every item is an HTTP call,
 * two Kafka records, a PostgreSQL write) share the same two cores. Doubling the p50, or 50 ms on top of it,
 * whichever is larger, allows that noise; a batch that queued ahead of interactive work (one lane, or items fed
 * without K) adds at least one batch call's duration (300 ms here) to the interactive calls that wait for it.
 *
 * <p>The test profile's rate limit (10 calls per 2 s) is raised for this test only: the interactive user makes
 * 80 calls in about 15 s, which is the measurement, not the limit under test; the batches still count once each.
 */
class BatchFairnessIT {

  private static final Logger log = LoggerFactory.getLogger(BatchFairnessIT.class);
  private static final int WARM_CALLS = 20;
  private static final int MEASURED_CALLS = 30;
  private static final int BATCH_ITEMS = 2_500;
  /** Each batch item: 40 tokens spread over 300 ms at the simulator. */
  private static final String BATCH_MODEL = "sim-ms-300";
  private static final String INTERACTIVE_BODY = "{\"prompt\":\"how long to the first token?\",\"maxTokens\":5}";
  private static final Pattern IN_FLIGHT = Pattern.compile("^worker_jobs_in_flight\\{[^}]*lane=\"batch\"[^}]*} ([0-9.Ee+-]+)$",
      Pattern.MULTILINE);

  private static LocalStack stack;
  private static String interactiveKey;
  private static String otherKey;

  @BeforeAll
  static void startStack() {
    stack = LocalStack.builder()
        // Pinned: 20 ms to the first token, 200 tokens/s, 40-token answers (the defaults, spelled out).
        .simulator(SimulatorConfig.defaults().withTimeToFirstToken(Duration.ofMillis(20)).withTokensPerSecond(200)
            .withAnswerTokens(40))
        // A list from the environment replaces the profile's whole list: both windows, with their periods.
        .env(Map.of("GATEWAY_RATELIMIT_WINDOWS_0_PERIOD", "2s", "GATEWAY_RATELIMIT_WINDOWS_0_LIMIT", "1000",
            "GATEWAY_RATELIMIT_WINDOWS_1_PERIOD", "12s", "GATEWAY_RATELIMIT_WINDOWS_1_LIMIT", "6000"))
        .start();
    interactiveKey = stack.apiKey("fairness-interactive-user", "pro");
    otherKey = stack.apiKey("fairness-batch-user", "pro");
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldKeepInteractiveTimeToFirstTokenWhileLargeBatchesRun() throws Exception {
    String gateway = stack.gatewayUrl();
    for (int i = 0; i < WARM_CALLS; i++) {
      stream(gateway);
    }

    // Baseline: no batch anywhere.
    List<Call> before = new ArrayList<>();
    for (int i = 0; i < MEASURED_CALLS; i++) {
      before.add(stream(gateway));
    }
    assertThat(stack.simulator().ledger().entries()).extracting(LedgerEntry::model).doesNotContain(BATCH_MODEL);

    // Two large batches, the interactive user's own and another user's; measure once both are running.
    String own = BatchClient.submit(gateway, interactiveKey, "own-", BATCH_ITEMS, BatchFairnessIT::batchItem);
    String other = BatchClient.submit(gateway, otherKey, "other-", BATCH_ITEMS, BatchFairnessIT::batchItem);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(BatchClient.finished(BatchClient.status(gateway, interactiveKey, own))).isGreaterThanOrEqualTo(16);
      assertThat(BatchClient.finished(BatchClient.status(gateway, otherKey, other))).isGreaterThanOrEqualTo(16);
    });
    long ownAtStart = BatchClient.finished(BatchClient.status(gateway, interactiveKey, own));
    long otherAtStart = BatchClient.finished(BatchClient.status(gateway, otherKey, other));

    List<Call> during = new ArrayList<>();
    List<Double> laneSamples = new ArrayList<>();
    long measuring = System.nanoTime();
    for (int i = 0; i < MEASURED_CALLS; i++) {
      during.add(stream(gateway));
      laneSamples.add(batchLaneInFlight());
    }
    long measuredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - measuring);

    // The batches were running all along: progress, not finished, calls at the provider across every interactive call.
    JsonNode ownAtEnd = BatchClient.status(gateway, interactiveKey, own);
    JsonNode otherAtEnd = BatchClient.status(gateway, otherKey, other);
    long ownProgress = BatchClient.finished(ownAtEnd) - ownAtStart;
    long otherProgress = BatchClient.finished(otherAtEnd) - otherAtStart;
    assertThat(ownAtEnd.get("status").asString()).as("the own batch at the end of the measurement").isEqualTo("running");
    assertThat(otherAtEnd.get("status").asString()).as("the other batch at the end of the measurement").isEqualTo("running");
    assertThat(ownProgress).as("own batch items finished during the measurement").isGreaterThanOrEqualTo(16);
    assertThat(otherProgress).as("other batch items finished during the measurement").isGreaterThanOrEqualTo(16);

    List<LedgerEntry> ledger = stack.simulator().ledger().entries();
    List<LedgerEntry> batchCalls = ledger.stream().filter(call -> call.model().equals(BATCH_MODEL)).toList();
    List<Integer> overlapping = new ArrayList<>();
    for (Call call : during) {
      List<LedgerEntry> calls = stack.simulator().ledger().byClientRequestId(call.jobId());
      assertThat(calls).as("provider calls of interactive job %s", call.jobId()).hasSize(1);
      Instant start = calls.get(0).startedAt();
      overlapping.add((int) batchCalls.stream().filter(batch -> !batch.startedAt().isAfter(start)
          && (batch.finishedAt() == null || batch.finishedAt().isAfter(start))).count());
    }
    long overlapped = overlapping.stream().filter(n -> n > 0).count();
    assertThat(overlapped).as("interactive calls that started while batch calls ran at the provider: %s", overlapping)
        .isGreaterThanOrEqualTo(MEASURED_CALLS * 9L / 10);
    assertThat(laneSamples.stream().filter(n -> n > 0).count())
        .as("samples of the worker's batch lane holding items: %s", laneSamples)
        .isGreaterThanOrEqualTo(MEASURED_CALLS * 9L / 10);
    assertThat(laneSamples).as("the batch lane never holds more than K per user").allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(16));

    // Interactive time to first token: within the baseline's noise.
    Stats base = Stats.of(before);
    Stats load = Stats.of(during);
    long bound = Math.max(2 * base.p50(), base.p50() + 50);
    log.info("interactive TTFT, no batch (ms): {} sorted {}", base, base.sorted());
    log.info("interactive TTFT, two batches of {} running (ms): {} sorted {}", BATCH_ITEMS, load, load.sorted());
    log.info("from sending to the provider call's start (ms), no batch: {}; batches running: {}", toProvider(before),
        toProvider(during));
    log.info("batch calls running at each interactive call's start: {}; batch lane in flight samples: {}", overlapping,
        laneSamples);
    log.info("batch items finished during the measurement ({} ms): own {}, other {}; bound for p50 {} ms",
        measuredMillis, ownProgress, otherProgress, bound);
    assertThat(load.p50()).as("interactive TTFT p50 with batches running (baseline %s, under load %s)", base, load)
        .isLessThanOrEqualTo(bound);

    // Cancel ends both batches: their queued items never run.
    BatchClient.cancel(gateway, interactiveKey, own);
    BatchClient.cancel(gateway, otherKey, other);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(BatchClient.status(gateway, interactiveKey, own).get("status").asString()).isEqualTo("cancelled");
      assertThat(BatchClient.status(gateway, otherKey, other).get("status").asString()).isEqualTo("cancelled");
    });
  }

  private static String batchItem(int i) {
    return "{\"prompt\":\"batch item " + i + "\",\"model\":\"" + BATCH_MODEL + "\"}";
  }

  /** One interactive stream, read to its end: the time from sending to the first chunk, and the job id. */
  private static Call stream(String gateway) throws IOException {
    Instant sentAt = Instant.now();
    long sent = System.nanoTime();
    HttpResponse<InputStream> response = Http.openStream(gateway + "/v1/generate/stream", interactiveKey, INTERACTIVE_BODY);
    assertThat(response.statusCode()).isEqualTo(200);
    long firstChunk = 0;
    String jobId = null;
    String lastEvent = null;
    boolean chunkData = false;
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("event:")) {
          lastEvent = line.substring(6).strip();
          chunkData = lastEvent.equals("chunk");
          if (chunkData && firstChunk == 0) {
            firstChunk = System.nanoTime();
          }
        } else if (line.startsWith("data:") && chunkData && jobId == null) {
          jobId = Http.json(line.substring(5).strip()).get("jobId").asString();
        }
      }
    }
    assertThat(lastEvent).as("the last event of an interactive stream").isEqualTo("done");
    assertThat(firstChunk).as("a chunk arrived").isPositive();
    assertThat(jobId).isNotNull();
    return new Call(TimeUnit.NANOSECONDS.toMillis(firstChunk - sent), jobId, sentAt);
  }

  private static double batchLaneInFlight() {
    HttpResponse<String> scrape = Http.get(stack.service(Service.WORKER).baseUrl() + "/actuator/prometheus");
    assertThat(scrape.statusCode()).isEqualTo(200);
    Matcher matcher = IN_FLIGHT.matcher(scrape.body());
    assertThat(matcher.find()).as("the batch lane's in-flight gauge").isTrue();
    return Double.parseDouble(matcher.group(1));
  }

  record Call(long ttftMillis, String jobId, Instant sentAt) {
  }

  /** Milliseconds from sending each call to its provider call's start (the simulator's ledger), sorted. */
  private static List<Long> toProvider(List<Call> calls) {
    return calls.stream().map(call -> Duration.between(call.sentAt(),
        stack.simulator().ledger().byClientRequestId(call.jobId()).get(0).startedAt()).toMillis()).sorted().toList();
  }

  record Stats(long min, long p50, long p90, long max, List<Long> sorted) {

    static Stats of(List<Call> calls) {
      List<Long> sorted = calls.stream().map(Call::ttftMillis).sorted().toList();
      return new Stats(sorted.get(0), percentile(sorted, 50), percentile(sorted, 90), sorted.get(sorted.size() - 1), sorted);
    }

    /** Nearest rank. */
    private static long percentile(List<Long> sorted, int p) {
      return sorted.get(Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    @Override
    public String toString() {
      return "min " + min + ", p50 " + p50 + ", p90 " + p90 + ", max " + max;
    }
  }
}
