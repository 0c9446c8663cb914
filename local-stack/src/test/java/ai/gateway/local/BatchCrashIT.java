package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import ai.gateway.simulator.LedgerEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Issue 8's "nothing lost, nothing twice" on the real service jars: a batch of {@value #ITEMS} items runs while the
 * worker is killed with {@code kill -9} (and restarted), then the gateway is killed while it feeds (and restarted).
 * Every item must end exactly once in {@code GET /v1/batches/{id}/results} (each {@code custom_id} once, counts
 * adding up), no item may be served twice by the provider except a call the worker's kill cut, and usage is
 * recorded per provider call: every call the simulator's ledger shows for the batch's job ids has exactly one
 * {@code ai_usage} row, except a call in flight at the worker's kill, which has at most one (its usage record had
 * not left the worker; such a job is run again as a new attempt, whose call is counted).
 *
 * <p>{@code gateway.batches.republish-after} is 5 s here (1 min by default): items a killed gateway had claimed
 * but not marked published are published again within the test's time.
 */
class BatchCrashIT {

  private static final Logger log = LoggerFactory.getLogger(BatchCrashIT.class);
  private static final int ITEMS = 300;
  private static final int K = 8;
  /** Each item: 40 tokens over 500 ms at the simulator, so K items are always in flight at the worker. */
  private static final String MODEL = "sim-ms-500";
  /** A call that ended this long before the worker's kill may still have had its usage record in the worker. */
  private static final Duration USAGE_LAG = Duration.ofSeconds(1);

  private static LocalStack stack;
  private static String key;

  @BeforeAll
  static void startStack() {
    stack = LocalStack.builder().env(Map.of("GATEWAY_BATCHES_REPUBLISHAFTER", "5s")).start();
    key = stack.apiKey("batch-crash-user", "pro");
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldEndEveryItemOnceAndCountEveryCallThroughAWorkerAndAGatewayKill() throws Exception {
    String gateway = stack.gatewayUrl();
    HttpResponse<String> warm = Http.postJson(gateway + "/v1/generate", key, "{\"prompt\":\"warm\",\"model\":\"sim-tokens-5\"}");
    assertThat(warm.statusCode()).as(warm.body()).isEqualTo(200);
    String batch = BatchClient.submit(gateway, key, "item-", ITEMS,
        i -> "{\"prompt\":\"crash item " + i + "\",\"model\":\"" + MODEL + "\"}");

    // kill -9 the worker mid-batch, with K items running there, and restart it.
    await().atMost(Duration.ofSeconds(30)).until(() -> BatchClient.finished(BatchClient.status(gateway, key, batch)) >= 40);
    long finishedAtWorkerKill = BatchClient.finished(BatchClient.status(gateway, key, batch));
    Instant workerKilledAt = Instant.now();
    long workerKill = System.nanoTime();
    stack.service(Service.WORKER).kill();
    stack.restart(Service.WORKER);
    long workerUp = millisSince(workerKill);
    await().atMost(Duration.ofSeconds(40))
        .until(() -> BatchClient.finished(BatchClient.status(gateway, key, batch)) >= finishedAtWorkerKill + 2L * K);
    long workerRecovered = millisSince(workerKill);
    Instant firstCallAfter = stack.simulator().ledger().entries().stream().map(LedgerEntry::startedAt)
        .filter(started -> started.isAfter(workerKilledAt)).min(Instant::compareTo).orElseThrow();
    log.info("worker killed at {} items finished; restarted in {} ms; first provider call {} ms after the kill; "
            + "{} more items finished {} ms after the kill", finishedAtWorkerKill, workerUp,
        Duration.between(workerKilledAt, firstCallAfter).toMillis(), 2 * K, workerRecovered);

    // kill -9 the gateway while it feeds (items still queued), and restart it.
    JsonNode atGatewayKill = BatchClient.status(gateway, key, batch);
    assertThat(BatchClient.count(atGatewayKill, "queued")).as("items still to feed at the gateway's kill").isPositive();
    long finishedAtGatewayKill = BatchClient.finished(atGatewayKill);
    long gatewayKill = System.nanoTime();
    stack.service(Service.GATEWAY).kill();
    stack.restart(Service.GATEWAY);
    long gatewayUp = millisSince(gatewayKill);
    // Statuses are applied again once the dead instance's session in the shared status group ended
    // (gateway.kafka.status-session-timeout, 6 s here, had been Kafka's 45 s), which is over by the time a
    // restarted instance runs; then the feeder fills the user's K again.
    await().atMost(Duration.ofSeconds(25))
        .until(() -> BatchClient.finished(BatchClient.status(gateway, key, batch)) >= finishedAtGatewayKill + 2L * K);
    long gatewayRecovered = millisSince(gatewayKill);
    log.info("gateway killed at {} items finished; restarted in {} ms; {} more items finished {} ms after the kill",
        finishedAtGatewayKill, gatewayUp, 2 * K, gatewayRecovered);

    // The batch completes: every item once.
    JsonNode done = await().atMost(Duration.ofSeconds(60)).until(() -> BatchClient.status(gateway, key, batch),
        status -> status.get("status").asString().equals("completed"));
    long completedAfter = millisSince(workerKill);
    assertThat(done.get("counts").toString()).isEqualTo(
        "{\"total\":" + ITEMS + ",\"queued\":0,\"running\":0,\"succeeded\":" + ITEMS + ",\"failed\":0,\"cancelled\":0}");
    List<JsonNode> results = BatchClient.results(gateway, key, batch);
    assertThat(results).hasSize(ITEMS);
    assertThat(results).extracting(line -> line.get("custom_id").asString())
        .containsExactlyInAnyOrderElementsOf(IntStream.range(0, ITEMS).mapToObj(i -> "item-" + i).toList());
    assertThat(results).allSatisfy(line -> assertThat(line.get("status").asString()).isEqualTo("succeeded"));
    List<String> jobIds = BatchClient.jobIds(stack, batch);
    assertThat(jobIds).hasSize(ITEMS);
    assertThat(results).extracting(line -> line.get("result").get("jobId").asString())
        .containsExactlyInAnyOrderElementsOf(jobIds);

    // Usage per provider call: one row per call, a call cut by the worker's kill at most one.
    Set<String> jobs = new HashSet<>(jobIds);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      Map<String, List<LedgerEntry>> calls = stack.simulator().ledger().entries().stream()
          .filter(call -> call.clientRequestId() != null && jobs.contains(call.clientRequestId()))
          .collect(Collectors.groupingBy(LedgerEntry::clientRequestId));
      assertThat(calls.keySet()).as("items with provider calls").containsExactlyInAnyOrderElementsOf(jobs);
      assertThat(calls.values()).allSatisfy(list -> assertThat(list).allSatisfy(call -> assertThat(call.ended()).isTrue()));
      Map<String, Integer> rows = BatchClient.usageRowsByJob(stack, batch);
      for (String job : jobs) {
        List<LedgerEntry> jobCalls = calls.get(job);
        long cut = jobCalls.stream().filter(call -> cutByWorkerKill(call, workerKilledAt)).count();
        int jobRows = rows.getOrDefault(job, 0);
        assertThat(jobCalls.size() - cut).as("provider calls of job %s outside the worker's kill (nothing twice)", job)
            .isLessThanOrEqualTo(1);
        assertThat(jobRows).as("ai_usage rows of job %s for %d calls, %d cut by the worker's kill", job, jobCalls.size(), cut)
            .isBetween((int) (jobCalls.size() - cut), jobCalls.size());
      }
    });
    Map<String, List<LedgerEntry>> calls = stack.simulator().ledger().entries().stream()
        .filter(call -> call.clientRequestId() != null && jobs.contains(call.clientRequestId()))
        .collect(Collectors.groupingBy(LedgerEntry::clientRequestId));
    Map<String, Integer> rows = BatchClient.usageRowsByJob(stack, batch);
    List<LedgerEntry> all = calls.values().stream().flatMap(List::stream).toList();
    long cut = all.stream().filter(call -> cutByWorkerKill(call, workerKilledAt)).count();
    long aborted = all.stream().filter(LedgerEntry::aborted).count();
    Map<Integer, Long> callsPerItem = new HashMap<>();
    calls.values().forEach(list -> callsPerItem.merge(list.size(), 1L, Long::sum));
    log.info("batch completed {} ms after the worker's kill; {} provider calls for {} items (items by calls: {}), "
            + "{} aborted, {} in flight at the worker's kill; {} ai_usage rows", completedAfter, all.size(), ITEMS,
        callsPerItem, aborted, cut, rows.values().stream().mapToInt(Integer::intValue).sum());
  }

  /** Started before the kill and not ended at least {@link #USAGE_LAG} before it. */
  private static boolean cutByWorkerKill(LedgerEntry call, Instant killedAt) {
    return call.startedAt().isBefore(killedAt)
        && (call.aborted() || call.finishedAt() == null || call.finishedAt().isAfter(killedAt.minus(USAGE_LAG)));
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
