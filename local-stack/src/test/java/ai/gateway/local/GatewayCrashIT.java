package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import ai.gateway.local.Http.SseEvent;
import ai.gateway.simulator.LedgerEntry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues 3 and 7 on the real service jars: a gateway instance is killed ({@code kill -9}) while clients follow
 * live jobs through it. Gateway B, a second instance of the same stack with its own reply partition, takes the
 * clients over: each job's events, of async jobs followed on {@code GET /v1/jobs/{id}/events} and of streams
 * started with {@code POST /v1/generate/stream} (whose owner the gateway records as the stream starts), are
 * resumed at B with {@code Last-Event-ID} and read to the end with no gap and no duplicate, and the text is what
 * the provider served; another user gets 404 for them. The jobs keep running on the worker: every provider
 * call is counted once in {@code ai_usage}, and B keeps serving new calls.
 */
class GatewayCrashIT {

  private static final Logger log = LoggerFactory.getLogger(GatewayCrashIT.class);
  /** About 7 s of answer per job: the simulator's 40 answer tokens, one chunk every 175 ms. */
  private static final String SLOW_MODEL = "sim-ms-7000";
  private static final int ASYNC_JOBS = 3;
  private static final int STREAMS = 2;
  private static final int CHUNKS_BEFORE_KILL = 3;

  private static LocalStack stack;
  private static ServiceProcess gatewayB;
  // One user per client kind, so the (scaled-down) rate limits of the test profile never answer instead.
  private static String jobsKey;
  private static String streamsKey;

  @BeforeAll
  static void startStack() {
    stack = LocalStack.builder().start();
    gatewayB = stack.startExtraGateway("gw-b");
    jobsKey = stack.apiKey("crash-jobs-user", "pro");
    streamsKey = stack.apiKey("crash-streams-user", "pro");
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldResumeEveryLiveJobAtAnotherGatewayAfterOneIsKilled() throws Exception {
    ServiceProcess gatewayA = stack.service(Service.GATEWAY);
    String a = gatewayA.baseUrl();
    String b = gatewayB.baseUrl();
    assertThat(leasedPartitions()).as("each instance leases its own reply partition").hasSize(2);

    // Warm: both instances answer, the worker's group is settled.
    for (String gateway : List.of(a, b)) {
      HttpResponse<String> sync = Http.postJson(gateway + "/v1/generate", streamsKey,
          "{\"prompt\":\"warm\",\"model\":\"sim-tokens-5\"}");
      assertThat(sync.statusCode()).as(sync.body()).isEqualTo(200);
    }

    // Live clients on A: async jobs followed on their events endpoint, and plain streams.
    List<String> asyncJobs = new ArrayList<>();
    List<Reader> asyncReaders = new ArrayList<>();
    for (int i = 0; i < ASYNC_JOBS; i++) {
      HttpResponse<String> created = Http.postJson(a + "/v1/jobs", jobsKey,
          "{\"prompt\":\"crash job " + i + "\",\"model\":\"" + SLOW_MODEL + "\"}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
      String id = Http.json(created.body()).get("id").asString();
      asyncJobs.add(id);
      asyncReaders.add(Reader.open(get(a + "/v1/jobs/" + id + "/events", jobsKey, null)));
    }
    List<Reader> streamReaders = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      streamReaders.add(Reader.open(Http.send(HttpRequest.newBuilder(URI.create(a + "/v1/generate/stream"))
          .timeout(Duration.ofSeconds(60))
          .header("Content-Type", "application/json").header("Accept", "text/event-stream")
          .header("Authorization", "Bearer " + streamsKey)
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"crash stream " + i + "\",\"model\":\"" + SLOW_MODEL + "\"}"))
          .build(), HttpResponse.BodyHandlers.ofInputStream())));
    }
    for (Reader reader : concat(asyncReaders, streamReaders)) {
      assertThat(reader.chunks.await(20, TimeUnit.SECONDS)).as("%d chunks before the crash", CHUNKS_BEFORE_KILL).isTrue();
    }

    long killedAt = System.nanoTime();
    gatewayA.kill();
    log.info("gateway A (pid {}) killed in {} ms", gatewayA.pid(), millisSince(killedAt));

    // What each client saw from A: its connection ends without a terminal event.
    List<List<SseEvent>> seenOnA = new ArrayList<>();
    for (Reader reader : asyncReaders) {
      List<SseEvent> seen = reader.ended.get(10, TimeUnit.SECONDS);
      assertThat(seen).as("events from A").hasSizeGreaterThanOrEqualTo(CHUNKS_BEFORE_KILL)
          .extracting(SseEvent::event).containsOnly("chunk");
      seenOnA.add(seen);
    }
    List<String> streamJobs = new ArrayList<>();
    List<List<SseEvent>> seenStreamsOnA = new ArrayList<>();
    for (Reader reader : streamReaders) {
      List<SseEvent> seen = reader.ended.get(10, TimeUnit.SECONDS);
      assertThat(seen).as("events from A").hasSizeGreaterThanOrEqualTo(CHUNKS_BEFORE_KILL)
          .extracting(SseEvent::event).containsOnly("chunk");
      streamJobs.add(seen.get(0).json().get("jobId").asString());
      seenStreamsOnA.add(seen);
    }

    // Each client reconnects to B from its last event and reads to the end: async jobs and streams alike.
    List<String> resumedJobs = concat(asyncJobs, streamJobs);
    List<String> keys = new ArrayList<>();
    asyncJobs.forEach(job -> keys.add(jobsKey));
    streamJobs.forEach(job -> keys.add(streamsKey));
    List<List<SseEvent>> seen = concat(seenOnA, seenStreamsOnA);
    List<Reader> resumed = new ArrayList<>();
    for (int i = 0; i < resumedJobs.size(); i++) {
      List<SseEvent> before = seen.get(i);
      resumed.add(Reader.open(get(b + "/v1/jobs/" + resumedJobs.get(i) + "/events", keys.get(i),
          before.get(before.size() - 1).id())));
    }
    List<String> figures = new ArrayList<>();
    for (int i = 0; i < resumedJobs.size(); i++) {
      String jobId = resumedJobs.get(i);
      List<SseEvent> before = seen.get(i);
      List<SseEvent> after = resumed.get(i).ended.get(30, TimeUnit.SECONDS);
      assertThat(resumed.get(i).error).as("the resumed stream ended cleanly").isNull();
      figures.add(jobId + (i < asyncJobs.size() ? " (async)" : " (stream)") + ": " + before.size() + " events on A, "
          + after.size() + " on B, first on B "
          + TimeUnit.NANOSECONDS.toMillis(resumed.get(i).firstEventAt - killedAt) + " ms after the kill");

      List<SseEvent> all = concat(before, after);
      assertThat(all).as("events of job %s", jobId).allSatisfy(event -> assertThat(event.id()).startsWith("1."));
      assertThat(all.stream().map(event -> Integer.parseInt(event.id().substring(2))).toList())
          .as("sequence numbers of job %s across A and B: no gap, no duplicate", jobId)
          .isEqualTo(java.util.stream.IntStream.rangeClosed(1, all.size()).boxed().toList());
      assertThat(all.subList(0, all.size() - 1)).extracting(SseEvent::event).containsOnly("chunk");
      assertThat(all.get(all.size() - 1).event()).as("the last event of job %s", jobId).isEqualTo("done");
      assertThat(all).allSatisfy(event -> assertThat(event.json().get("jobId").asString()).isEqualTo(jobId));

      List<LedgerEntry> calls = stack.simulator().ledger().byClientRequestId(jobId);
      assertThat(calls).as("provider calls of job %s", jobId).hasSize(1);
      String text = all.stream().filter(event -> event.event().equals("chunk"))
          .map(event -> event.json().get("content").asString()).collect(Collectors.joining());
      assertThat(text).as("the text of job %s", jobId).isEqualTo(calls.get(0).content());
    }
    // a job id is no capability: another user's resume is refused
    assertThat(get(b + "/v1/jobs/" + streamJobs.get(0) + "/events", jobsKey, null).statusCode())
        .as("another user's stream").isEqualTo(404);
    assertThat(get(b + "/v1/jobs/" + asyncJobs.get(0) + "/events", streamsKey, null).statusCode())
        .as("another user's async job").isEqualTo(404);
    log.info("resumed at B: {}", figures);

    // B serves new work.
    HttpResponse<String> sync = Http.postJson(b + "/v1/generate", streamsKey, "{\"prompt\":\"after\",\"model\":\"sim-tokens-5\"}");
    assertThat(sync.statusCode()).as(sync.body()).isEqualTo(200);
    String afterJob = Http.json(sync.body()).get("jobId").asString();

    // Every provider call of every job, the streams cut by the crash included, is counted once.
    await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
      for (String jobId : concat(concat(asyncJobs, streamJobs), List.of(afterJob))) {
        List<LedgerEntry> calls = stack.simulator().ledger().byClientRequestId(jobId);
        assertThat(calls).as("provider calls of job %s", jobId).isNotEmpty().allSatisfy(call -> assertThat(call.ended()).isTrue());
        assertThat(usageRows(jobId)).as("ai_usage rows of job %s", jobId).isEqualTo(calls.size());
      }
    });
    log.info("usage of every job counted {} ms after the kill", millisSince(killedAt));
  }

  private static HttpResponse<InputStream> get(String url, String apiKey, @Nullable String lastEventId) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .header("Accept", "text/event-stream").header("Authorization", "Bearer " + apiKey).GET();
    if (lastEventId != null) {
      request.header("Last-Event-ID", lastEventId);
    }
    return Http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  private static List<Integer> leasedPartitions() throws Exception {
    try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(), Postgres.USER, Postgres.PASSWORD);
         PreparedStatement query = db.prepareStatement(
             "select distinct partition from reply_partition_leases where expires_at > clock_timestamp()")) {
      List<Integer> partitions = new ArrayList<>();
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          partitions.add(rows.getInt(1));
        }
      }
      return partitions;
    }
  }

  private static int usageRows(String jobId) throws Exception {
    try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(), Postgres.USER, Postgres.PASSWORD);
         PreparedStatement query = db.prepareStatement("select count(*) from ai_usage where job_id = ?")) {
      query.setString(1, jobId);
      try (ResultSet rows = query.executeQuery()) {
        rows.next();
        return rows.getInt(1);
      }
    }
  }

  private static <T> List<T> concat(List<T> first, List<T> second) {
    List<T> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  /**
   * An event stream read on its own thread: the events as they arrive, and all of them once the connection
   * ended, whether with the stream's end or broken by a crash ({@link #error}).
   */
  private static final class Reader {
    final CountDownLatch chunks = new CountDownLatch(CHUNKS_BEFORE_KILL);
    final CompletableFuture<List<SseEvent>> ended = new CompletableFuture<>();
    final List<SseEvent> events = new CopyOnWriteArrayList<>();
    volatile long firstEventAt;
    volatile @Nullable IOException error;

    static Reader open(HttpResponse<InputStream> response) {
      assertThat(response.statusCode()).isEqualTo(200);
      Reader reader = new Reader();
      Thread thread = new Thread(() -> reader.read(response.body()), "crash-test-sse-reader");
      thread.setDaemon(true);
      thread.start();
      return reader;
    }

    private void read(InputStream body) {
      StringBuilder event = new StringBuilder();
      try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (!line.isEmpty()) {
            event.append(line).append('\n');
            continue;
          }
          for (SseEvent parsed : Http.parseSse(event.append('\n').toString())) {
            if (events.isEmpty()) {
              firstEventAt = System.nanoTime();
            }
            events.add(parsed);
            if (parsed.event().equals("chunk")) {
              chunks.countDown();
            }
          }
          event.setLength(0);
        }
      } catch (IOException e) {
        error = e; // the connection broke (the gateway was killed)
      }
      ended.complete(List.copyOf(events));
    }
  }
}
