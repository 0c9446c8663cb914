package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import ai.gateway.local.Http.SseEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * ATTACKS row 35 and issue 3's Kafka outage, on the real service jars: the in-process broker is stopped after
 * warm traffic while streams are live. New requests must get 503 {@code UNAVAILABLE} with {@code Retry-After}
 * within 5 s (the issue's bound), live streams must end with a retryable {@code UNAVAILABLE} error event
 * (not hang, not close silently), and after the broker returns on the same port and data, sync and streamed
 * calls must work again, and be counted, without restarting any service.
 *
 * <p>The gateway's deadline is raised to 60 s here so that an {@code error} event can only come from the
 * outage handling, never from the deadline.
 */
class KafkaOutageIT {

  private static final Logger log = LoggerFactory.getLogger(KafkaOutageIT.class);
  private static final Duration ISSUE_BOUND = Duration.ofSeconds(5);
  private static final int LIVE_STREAMS = 4;

  private static LocalStack stack;
  // One user per phase, so the (scaled-down) rate limits of the test profile never answer instead of the outage.
  private static String key;
  private static String downKey;
  private static String backKey;

  @BeforeAll
  static void startStack() {
    stack = LocalStack.builder().env(Map.of("GATEWAY_DEADLINE", "60s")).start();
    key = stack.apiKey("outage-pro-user", "pro");
    downKey = stack.apiKey("outage-down-user", "pro");
    backKey = stack.apiKey("outage-back-user", "pro");
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldFailFastDuringABrokerOutageAndRecoverWithoutRestarts() throws Exception {
    KafkaBroker broker = stack.broker();
    assertThat(broker).isNotNull();
    String gateway = stack.gatewayUrl();

    // Warm traffic: the producer, the reply consumer and the worker's group are all settled.
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> sync = Http.postJson(gateway + "/v1/generate", key, "{\"prompt\":\"warm\",\"model\":\"sim-tokens-5\"}");
      assertThat(sync.statusCode()).as(sync.body()).isEqualTo(200);
    }
    assertThat(Http.parseSse(stream(key, "sim-tokens-5").body())).last().extracting(SseEvent::event).isEqualTo("done");

    // Live streams: about 20 s of answer each (a chunk every 0.5 s), well past the outage's detection.
    List<LiveStream> live = new ArrayList<>();
    for (int i = 0; i < LIVE_STREAMS; i++) {
      live.add(LiveStream.open(gateway, key, "sim-ms-20000"));
    }
    for (LiveStream stream : live) {
      assertThat(stream.firstChunk.await(15, TimeUnit.SECONDS)).as("a first chunk before the outage").isTrue();
    }

    long stoppedAt = System.nanoTime();
    broker.stop();
    log.info("broker stopped in {} ms", millisSince(stoppedAt));

    // New requests: 503 UNAVAILABLE with Retry-After, each within the issue's 5 s.
    List<Long> refusals = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long start = System.nanoTime();
      HttpResponse<String> sync = Http.postJson(gateway + "/v1/generate", downKey, "{\"prompt\":\"down\",\"model\":\"sim-tokens-5\"}");
      long syncMillis = millisSince(start);
      assertUnavailable(sync);
      start = System.nanoTime();
      HttpResponse<String> streamed = stream(downKey, "sim-tokens-5");
      long streamMillis = millisSince(start);
      assertUnavailable(streamed);
      refusals.add(syncMillis);
      refusals.add(streamMillis);
      assertThat(Duration.ofMillis(syncMillis)).as("time to 503 of a sync call").isLessThan(ISSUE_BOUND);
      assertThat(Duration.ofMillis(streamMillis)).as("time to 503 of a stream").isLessThan(ISSUE_BOUND);
    }
    log.info("time to 503 (ms, sync/stream pairs in order): {}", refusals);

    // Live streams end with a retryable UNAVAILABLE error event, long before the 60 s deadline.
    List<Long> ends = new ArrayList<>();
    List<String> liveJobs = new ArrayList<>();
    for (LiveStream stream : live) {
      List<SseEvent> events = stream.events.get(30, TimeUnit.SECONDS);
      ends.add(TimeUnit.NANOSECONDS.toMillis(stream.endedAt - stoppedAt));
      assertThat(events).as("events of a live stream").isNotEmpty();
      SseEvent last = events.get(events.size() - 1);
      assertThat(last.event()).as("a live stream's last event: %s", events).isEqualTo("error");
      assertThat(last.json().get("code").asString()).isEqualTo("UNAVAILABLE");
      assertThat(last.json().get("retryable").asBoolean()).isTrue();
      assertThat(events.subList(0, events.size() - 1)).extracting(SseEvent::event).containsOnly("chunk");
      liveJobs.add(events.get(0).json().get("jobId").asString());
    }
    log.info("live streams ended after the broker stopped (ms): {}", ends);

    // Readiness reports the lost reply consumer; liveness stays up (no restart is wanted).
    HttpResponse<String> readiness = Http.get(gateway + "/actuator/health/readiness");
    assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(503);
    assertThat(readiness.body()).contains("DOWN");
    assertThat(Http.get(gateway + "/actuator/health/liveness").statusCode()).isEqualTo(200);

    // The broker returns on the same port and data; no service is restarted.
    long restartedAt = System.nanoTime();
    broker.start();
    log.info("broker started again in {} ms", millisSince(restartedAt));

    List<String> recoveredJobs = new ArrayList<>();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      HttpResponse<String> sync = Http.postJson(gateway + "/v1/generate", backKey, "{\"prompt\":\"back\",\"model\":\"sim-tokens-7\"}");
      assertThat(sync.statusCode()).as(sync.body()).isEqualTo(200);
      recoveredJobs.add(Http.json(sync.body()).get("jobId").asString());
    });
    long syncRecovered = millisSince(restartedAt);
    HttpResponse<String> streamed = stream(backKey, "sim-tokens-7");
    assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
    List<SseEvent> events = Http.parseSse(streamed.body());
    SseEvent done = events.get(events.size() - 1);
    assertThat(done.event()).as("%s", events).isEqualTo("done");
    recoveredJobs.add(done.json().get("jobId").asString());
    log.info("after the broker restarted: first sync 200 after {} ms, a full stream after {} ms",
        syncRecovered, millisSince(restartedAt));
    assertThat(Http.get(gateway + "/actuator/health/readiness").statusCode()).isEqualTo(200);

    // The recovered calls are counted: one ai_usage row each, through the aggregator.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String jobId : recoveredJobs) {
        assertThat(usageRows(jobId)).as("ai_usage rows of recovered job %s", jobId).isEqualTo(1);
      }
    });
    log.info("usage of the recovered calls counted {} ms after the broker restarted", millisSince(restartedAt));

    // The jobs whose streams were failed kept running on the worker; their replies and usage waited in its
    // producer (delivery.timeout.ms 30 s, longer than this outage). Every provider call they made is counted once.
    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      for (String jobId : liveJobs) {
        List<ai.gateway.simulator.LedgerEntry> calls = stack.simulator().ledger().byClientRequestId(jobId);
        assertThat(calls).as("provider calls of live job %s", jobId).isNotEmpty()
            .allSatisfy(call -> assertThat(call.finishedAt() != null || call.aborted()).isTrue());
        assertThat(usageRows(jobId)).as("ai_usage rows of live job %s", jobId).isEqualTo(calls.size());
      }
    });
    log.info("usage of the jobs live during the outage counted {} ms after the broker restarted", millisSince(restartedAt));
  }

  private static void assertUnavailable(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = Http.json(response.body());
    assertThat(problem.get("code").asString()).isEqualTo("UNAVAILABLE");
    assertThat(problem.get("retryable").asBoolean()).isTrue();
    assertThat(response.headers().firstValue("Retry-After")).hasValueSatisfying(
        value -> assertThat(Long.parseLong(value)).isPositive());
  }

  private static HttpResponse<String> stream(String apiKey, String model) {
    return Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(stack.gatewayUrl() + "/v1/generate/stream"))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("Accept", "text/event-stream")
        .header("Authorization", "Bearer " + apiKey)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"prompt\":\"stream\",\"model\":\"" + model + "\"}"))
        .build());
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

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  /** A stream read to its end on its own thread; its events once it ended, and when it ended. */
  private static final class LiveStream {
    final CountDownLatch firstChunk = new CountDownLatch(1);
    final CompletableFuture<List<SseEvent>> events = new CompletableFuture<>();
    volatile long endedAt;

    static LiveStream open(String gateway, String key, String model) {
      HttpResponse<InputStream> response = Http.openStream(gateway + "/v1/generate/stream", key,
          "{\"prompt\":\"live\",\"model\":\"" + model + "\"}");
      assertThat(response.statusCode()).isEqualTo(200);
      LiveStream stream = new LiveStream();
      Thread reader = new Thread(() -> stream.read(response.body()), "live-stream-reader");
      reader.setDaemon(true);
      reader.start();
      return stream;
    }

    private void read(InputStream body) {
      StringBuilder text = new StringBuilder();
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          text.append(line).append('\n');
          if (line.startsWith("event: chunk") || line.startsWith("event:chunk")) {
            firstChunk.countDown();
          }
        }
        endedAt = System.nanoTime();
        events.complete(Http.parseSse(text.toString()));
      } catch (IOException e) {
        endedAt = System.nanoTime();
        events.completeExceptionally(new UncheckedIOException("the stream broke instead of ending with an event", e));
      }
    }
  }
}
