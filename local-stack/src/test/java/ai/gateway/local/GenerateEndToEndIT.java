package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import ai.gateway.local.Http.SseEvent;
import ai.gateway.simulator.LedgerEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The full path through real parts: HTTP into the gateway jar, Kafka (in-process KRaft), the worker jar,
 * real HTTP to the provider simulator, replies back through Kafka, usage into PostgreSQL through the
 * aggregator jar. Each service runs in its own JVM.
 */
class GenerateEndToEndIT {

  private static LocalStack stack;
  private static String key;

  @BeforeAll
  static void startStack() {
    stack = LocalStack.builder().start();
    key = stack.apiKey("e2e-pro-user", "pro");
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldAnswerAGenerateCallWithTheProvidersTextAndExactUsage() {
    HttpResponse<String> response = Http.postJson(stack.gatewayUrl() + "/v1/generate", key, """
        {"prompt":"Say hello in three words","systemPrompt":"Be brief.","provider":"openai","model":"gpt-4o-mini","maxTokens":100}
        """);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = Http.json(response.body());
    String jobId = body.get("jobId").asString();
    LedgerEntry call = singleCall(jobId);
    assertThat(body.get("content").asString()).isEqualTo(call.content()).isNotEmpty();
    assertThat(body.get("provider").asString()).isEqualTo("openai");
    assertThat(body.get("model").asString()).startsWith("gpt-4o-mini");
    assertThat(body.get("finishReason").asString()).isEqualTo("stop");
    assertThat(body.at("/usage/promptTokens").asLong()).isEqualTo(call.promptTokens());
    assertThat(body.at("/usage/completionTokens").asLong()).isEqualTo(call.completionTokens());
    assertThat(body.at("/usage/totalTokens").asLong()).isEqualTo(call.promptTokens() + call.completionTokens());
    assertThat(body.at("/usage/estimated").asBoolean()).isFalse();
    assertThat(body.get("costUsd").asDouble()).isPositive();
    assertThat(call.usageReported()).isTrue();
    assertThat(call.aborted()).isFalse();
  }

  @Test
  void shouldStreamChunksInOrderThenOneDoneEvent() {
    HttpResponse<String> response = Http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(stack.gatewayUrl() + "/v1/generate/stream"))
        .header("Content-Type", "application/json").header("Accept", "text/event-stream")
        .header("Authorization", "Bearer " + key)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""
            {"prompt":"Tell me a story","model":"sim-tokens-25","maxTokens":100}
            """)).build());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/event-stream"));
    List<SseEvent> events = Http.parseSse(response.body());
    assertThat(events).hasSizeGreaterThan(1);
    List<SseEvent> chunks = events.subList(0, events.size() - 1);
    SseEvent done = events.get(events.size() - 1);
    assertThat(chunks).allSatisfy(event -> assertThat(event.event()).isEqualTo("chunk"));
    assertThat(chunks).extracting(SseEvent::id)
        .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, chunks.size()).mapToObj(i -> "1." + i).toList());
    assertThat(done.event()).isEqualTo("done");
    assertThat(done.id()).isEqualTo("1." + events.size());
    assertThat(response.body()).doesNotContain("[DONE]");

    String jobId = done.json().get("jobId").asString();
    LedgerEntry call = singleCall(jobId);
    assertThat(chunks.stream().map(event -> event.json().get("content").asString()).collect(Collectors.joining()))
        .isEqualTo(call.content());
    assertThat(call.completionTokens()).isEqualTo(25);
    assertThat(done.json().at("/usage/completionTokens").asLong()).isEqualTo(25);
    assertThat(done.json().at("/usage/promptTokens").asLong()).isEqualTo(call.promptTokens());
    assertThat(done.json().get("finishReason").asString()).isEqualTo("stop");
  }

  @Test
  void shouldAbortTheProviderCallWhenTheClientDisconnects() throws Exception {
    HttpResponse<InputStream> response = Http.openStream(stack.gatewayUrl() + "/v1/generate/stream", key, """
        {"prompt":"Never-ending","model":"sim-stall","maxTokens":100}
        """);
    assertThat(response.statusCode()).isEqualTo(200);
    String jobId;
    try (InputStream body = response.body()) {
      BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
      String line;
      String data = null;
      while ((line = reader.readLine()) != null) {
        if (line.startsWith("data:")) {
          data = line.substring(5).strip();
          break;
        }
      }
      assertThat(data).as("the first chunk arrives before the stall").isNotNull();
      jobId = Http.json(data).get("jobId").asString();
    } // closing the body closes the connection mid-stream

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(singleCall(jobId).aborted()).as("the simulator saw the worker hang up").isTrue());
  }

  @Test
  void shouldTurnAProviderFailureIntoAProblemWithoutLeakingTheProviderUrl() {
    HttpResponse<String> response = Http.postJson(stack.gatewayUrl() + "/v1/generate", key, """
        {"prompt":"hi","provider":"openai","model":"sim-error-500"}
        """);

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    JsonNode problem = Http.json(response.body());
    assertThat(problem.get("code").asString()).isEqualTo("PROVIDER_ERROR");
    assertThat(problem.get("provider").asString()).isEqualTo("openai");
    assertThat(problem.get("retryable").asBoolean()).isTrue();
    assertThat(response.body()).doesNotContain("127.0.0.1", Integer.toString(stack.simulator().port()), "sk-");
  }

  @Test
  void shouldRefuseCallersWithoutCredentialsOrWithoutAiAccessBeforeAnyProviderCall() {
    int callsBefore = stack.simulator().ledger().entries().size();
    String freeKey = stack.apiKey("e2e-free-user", "free");
    String body = "{\"prompt\":\"hi\"}";

    HttpResponse<String> anonymous = Http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(stack.gatewayUrl() + "/v1/generate"))
        .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
    HttpResponse<String> wrongKey = Http.postJson(stack.gatewayUrl() + "/v1/generate", "aig_not-a-real-key", body);
    HttpResponse<String> free = Http.postJson(stack.gatewayUrl() + "/v1/generate", freeKey, body);

    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(Http.json(anonymous.body()).get("code").asString()).isEqualTo("UNAUTHENTICATED");
    assertThat(wrongKey.statusCode()).isEqualTo(401);
    assertThat(free.statusCode()).isEqualTo(403);
    assertThat(Http.json(free.body()).get("code").asString()).isEqualTo("ENTITLEMENT_REQUIRED");
    assertThat(Http.json(free.body()).get("detail").asString()).isEqualTo("AI access requires Pro subscription");
    assertThat(stack.simulator().ledger().entries()).hasSize(callsBefore);
  }

  @Test
  void shouldRejectMalformedJsonBeforeAnyProviderCall() {
    int callsBefore = stack.simulator().ledger().entries().size();

    HttpResponse<String> response = Http.postJson(stack.gatewayUrl() + "/v1/generate", key, "{\"prompt\": \"unterminated");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(Http.json(response.body()).get("code").asString()).isEqualTo("INVALID_REQUEST");
    assertThat(response.body()).doesNotContain("unterminated");
    assertThat(stack.simulator().ledger().entries()).hasSize(callsBefore);
  }

  @Test
  void shouldRecordTheCallsUsageInPostgresThroughTheAggregator() throws Exception {
    HttpResponse<String> response = Http.postJson(stack.gatewayUrl() + "/v1/generate", key, """
        {"prompt":"Count my tokens","model":"sim-tokens-7"}
        """);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    String jobId = Http.json(response.body()).get("jobId").asString();
    LedgerEntry call = singleCall(jobId);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(), Postgres.USER, Postgres.PASSWORD);
           PreparedStatement query = db.prepareStatement(
               "select prompt_tokens, completion_tokens, estimated from ai_usage where job_id = ?")) {
        query.setString(1, jobId);
        try (ResultSet rows = query.executeQuery()) {
          assertThat(rows.next()).as("a usage row for the job").isTrue();
          assertThat(rows.getLong("prompt_tokens")).isEqualTo(call.promptTokens());
          assertThat(rows.getLong("completion_tokens")).isEqualTo(7);
          assertThat(rows.getBoolean("estimated")).isFalse();
          assertThat(rows.next()).as("exactly one usage row").isFalse();
        }
      }
    });
  }

  private static LedgerEntry singleCall(String jobId) {
    List<LedgerEntry> calls = stack.simulator().ledger().byClientRequestId(jobId);
    assertThat(calls).as("simulator calls for job %s", jobId).hasSize(1);
    return calls.get(0);
  }
}
