package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.simulator.SimClient.Reply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

/** The OpenAI wire format and the scenarios over real HTTP, checked against the ledger. */
class ProviderSimulatorIT {

  private static final String PROMPT = "Say hello in three words";

  private static ProviderSimulator simulator;
  private static SimClient client;

  @BeforeAll
  static void start() {
    simulator = ProviderSimulator.start(SimulatorConfig.defaults());
    client = new SimClient(simulator.baseUrl());
  }

  @AfterAll
  static void stop() {
    client.close();
    simulator.close();
  }

  @Test
  void shouldListenOnLoopbackAndServeOpenAiUnderV1() {
    assertThat(simulator.port()).isPositive();
    assertThat(simulator.baseUrl()).isEqualTo("http://127.0.0.1:" + simulator.port());
    assertThat(simulator.openAiBaseUrl()).isEqualTo(simulator.baseUrl() + "/v1");
    assertThat(client.get("/_sim/health").status()).isEqualTo(200);
  }

  @Test
  void shouldStreamTheAnswerTokenByTokenWithUsageThatMatchesTheLedger() {
    // given
    String id = newId();

    // when
    Reply reply = client.chat(request("gpt-4o-mini", true, true, null), headers(id));

    // then
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("content-type")).isEqualTo("text/event-stream");
    List<String> events = reply.events();
    assertThat(events).hasSize(1 + 40 + 1 + 1 + 1); // role, content, finish, usage, [DONE]
    JsonNode role = Json.MAPPER.readTree(events.get(0));
    assertThat(role.at("/choices/0/delta/role").stringValue()).isEqualTo("assistant");
    assertThat(role.at("/choices/0/delta/content").stringValue()).isEmpty();
    assertThat(role.path("model").stringValue()).isEqualTo("gpt-4o-mini-2024-07-18");
    assertThat(reply.contentChunks()).hasSize(40)
        .allSatisfy(chunk -> assertThat(chunk.at("/choices/0/delta/content").stringValue()).matches(" [a-z]+"));
    JsonNode finish = Json.MAPPER.readTree(events.get(41));
    assertThat(finish.at("/choices/0/finish_reason").stringValue()).isEqualTo("stop");
    assertThat(finish.at("/choices/0/delta").isEmpty()).isTrue();
    JsonNode usage = Json.MAPPER.readTree(events.get(42));
    assertThat(usage.path("choices").isEmpty()).isTrue();
    assertThat(events.get(43)).isEqualTo("[DONE]");

    LedgerEntry call = single(id);
    assertThat(call.content()).isEqualTo(reply.streamedText());
    assertThat(call.completionTokens()).isEqualTo(40).isEqualTo(usage.at("/usage/completion_tokens").longValue());
    assertThat(call.promptTokens()).isEqualTo(6).isEqualTo(usage.at("/usage/prompt_tokens").longValue()); // ceil(24/4)
    assertThat(usage.at("/usage/total_tokens").longValue()).isEqualTo(46);
    assertThat(call).extracting(LedgerEntry::provider, LedgerEntry::model, LedgerEntry::scenario, LedgerEntry::stream,
            LedgerEntry::httpStatus, LedgerEntry::usageReported, LedgerEntry::aborted, LedgerEntry::authorized)
        .containsExactly("openai", "gpt-4o-mini", "normal", true, 200, true, false, true);
    assertThat(call.finishedAt()).isAfterOrEqualTo(call.startedAt());
  }

  @Test
  void shouldSendNoUsageWhenTheCallerDidNotAskForIt() {
    String id = newId();

    Reply reply = client.chat(request("gpt-4o-mini", true, false, null), headers(id));

    assertThat(reply.events()).hasSize(1 + 40 + 1 + 1).last().isEqualTo("[DONE]");
    assertThat(reply.body()).doesNotContain("\"usage\"");
    LedgerEntry call = single(id);
    assertThat(call.usageReported()).isFalse();
    assertThat(call.completionTokens()).as("tokens are counted even when not reported").isEqualTo(40);
  }

  @Test
  void shouldAnswerANonStreamCallWithOneChatCompletionAfterTheWholeAnswerTime() {
    String id = newId();
    long start = System.nanoTime();

    Reply reply = client.chat(request("gpt-4o-mini", false, false, null), headers(id));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("TTFT 20 ms + 39 x 5 ms")
        .isGreaterThanOrEqualTo(Duration.ofMillis(200));
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("content-type")).startsWith("application/json");
    JsonNode body = reply.json();
    assertThat(body.path("object").stringValue()).isEqualTo("chat.completion");
    assertThat(body.path("model").stringValue()).isEqualTo("gpt-4o-mini-2024-07-18");
    assertThat(body.at("/choices/0/message/role").stringValue()).isEqualTo("assistant");
    assertThat(body.at("/choices/0/finish_reason").stringValue()).isEqualTo("stop");
    LedgerEntry call = single(id);
    assertThat(body.at("/choices/0/message/content").stringValue()).isEqualTo(call.content());
    assertThat(body.at("/usage/prompt_tokens").longValue()).isEqualTo(call.promptTokens()).isEqualTo(6);
    assertThat(body.at("/usage/completion_tokens").longValue()).isEqualTo(call.completionTokens()).isEqualTo(40);
    assertThat(call.stream()).isFalse();
    assertThat(call.usageReported()).isTrue();
  }

  @Test
  void shouldGiveTheSameTextToTheSamePromptStreamedOrNot() {
    String streamed = newId();
    String whole = newId();

    client.chat(request("gpt-4o-mini", true, false, null), headers(streamed));
    client.chat(request("sim-echo", false, false, null), headers(whole));

    assertThat(single(streamed).content()).isEqualTo(single(whole).content()).isNotEmpty();
  }

  @Test
  void shouldStopAtMaxTokensWithFinishReasonLength() {
    String streamed = newId();
    String whole = newId();

    Reply stream = client.chat(request("gpt-4o-mini", true, true, 5), headers(streamed));
    Reply body = client.chat(request("gpt-4o-mini", false, false, 5), headers(whole));

    assertThat(stream.contentChunks()).hasSize(5);
    assertThat(stream.body()).contains("\"finish_reason\":\"length\"").contains("\"completion_tokens\":5");
    assertThat(body.json().at("/choices/0/finish_reason").stringValue()).isEqualTo("length");
    assertThat(single(streamed).completionTokens()).isEqualTo(5);
    assertThat(single(whole).completionTokens()).isEqualTo(5);
  }

  @ParameterizedTest(name = "{0} (stream={1}) -> {2} {3}/{4}")
  @CsvSource(nullValues = "null", value = {
      "sim-error-429, false, 429, tokens, rate_limit_exceeded",
      "sim-error-429, true, 429, tokens, rate_limit_exceeded",
      "sim-error-500, false, 500, server_error, null",
      "sim-error-500, true, 500, server_error, null",
      "sim-error-503, true, 503, service_unavailable_error, server_is_overloaded",
      "sim-error-401, false, 401, invalid_request_error, invalid_api_key",
      "sim-error-400, true, 400, invalid_request_error, null",
      "sim-error-context, false, 400, invalid_request_error, context_length_exceeded",
      "sim-error-quota, true, 429, insufficient_quota, insufficient_quota",
      "sim-unheard-of, false, 404, invalid_request_error, model_not_found"})
  void shouldAnswerErrorScenariosWithOpenAisStatusAndBody(String model, boolean stream, int status, String type,
      @Nullable String code) {
    String id = newId();

    Reply reply = client.chat(request(model, stream, stream, null), headers(id));

    assertThat(reply.status()).isEqualTo(status);
    assertThat(reply.headers().get("content-type")).isEqualTo("application/json; charset=utf-8");
    JsonNode error = reply.json().path("error");
    assertThat(error.path("type").stringValue()).isEqualTo(type);
    assertThat(error.path("code").isNull() ? null : error.path("code").stringValue()).isEqualTo(code);
    assertThat(error.has("param")).isTrue();
    assertThat(error.path("message").stringValue()).isNotBlank();
    LedgerEntry call = single(id);
    assertThat(call.httpStatus()).isEqualTo(status);
    assertThat(call.promptTokens()).isZero();
    assertThat(call.completionTokens()).isZero();
    assertThat(call.content()).isEmpty();
    assertThat(call.finishedAt()).isNotNull();
  }

  @Test
  void shouldSendRetryAfterOnRateLimitsButNotOnQuota() {
    Reply rateLimited = client.chat(request("sim-error-429", false, false, null), headers(newId()));
    Reply quota = client.chat(request("sim-error-quota", false, false, null), headers(newId()));

    assertThat(rateLimited.headers().get("retry-after")).isEqualTo("1");
    assertThat(quota.headers().get("retry-after")).isNull();
  }

  @Test
  void shouldRejectTheReservedInvalidKeyWithoutRecordingIt() {
    String id = newId();

    Reply reply = client.chat(request("gpt-4o-mini", true, true, null),
        Map.of("X-Client-Request-Id", id, "Authorization", "Bearer sk-sim-invalid"));

    assertThat(reply.status()).isEqualTo(401);
    assertThat(reply.json().at("/error/code").stringValue()).isEqualTo("invalid_api_key");
    assertThat(reply.body()).doesNotContain("sk-sim-invalid");
    LedgerEntry call = single(id);
    assertThat(call.scenario()).isEqualTo("invalid-api-key");
    assertThat(call.authorized()).isTrue();
    assertThat(client.get("/_sim/ledger").body()).doesNotContain("sk-sim-invalid");
  }

  @Test
  void shouldAnswerCallsWithoutAKeyAndRecordThemAsUnauthorized() {
    String id = newId();

    Reply reply = client.chat(request("gpt-4o-mini", false, false, 2), Map.of("X-Client-Request-Id", id));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(single(id).authorized()).isFalse();
  }

  @Test
  void shouldRejectMalformedRequestsAsOpenAiDoes() {
    String id = newId();

    Reply reply = client.chat("{\"model\": \"gpt-4o-mini\", \"messages\": ", headers(id));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.json().at("/error/type").stringValue()).isEqualTo("invalid_request_error");
    assertThat(single(id).scenario()).isEqualTo("invalid-request");
  }

  @Test
  void shouldSendAnErrorObjectInsideTheStreamAfterThreeChunks() {
    String id = newId();

    Reply reply = client.chat(request("sim-midstream-error", true, true, null), headers(id));

    assertThat(reply.status()).isEqualTo(200);
    List<String> events = reply.events();
    assertThat(reply.contentChunks()).hasSize(3);
    assertThat(events).hasSize(1 + 3 + 2).last().isEqualTo("[DONE]");
    JsonNode error = Json.MAPPER.readTree(events.get(4)).path("error");
    assertThat(error.path("type").stringValue()).isEqualTo("server_error");
    assertThat(reply.body()).doesNotContain("finish_reason\":\"").doesNotContain("\"usage\":{");
    LedgerEntry call = single(id);
    assertThat(call.completionTokens()).isEqualTo(3);
    assertThat(call.usageReported()).isFalse();
    assertThat(call.content()).isEqualTo(reply.streamedText());
  }

  @Test
  void shouldCloseTheConnectionMidStreamWhenTruncated() {
    String id = newId();

    Reply reply = client.chat(request("sim-truncated", true, true, null), headers(id));

    assertThat(reply.error()).as("the body ended without the chunked terminator").isNotNull();
    assertThat(reply.contentChunks()).hasSize(5);
    assertThat(reply.body()).doesNotContain("[DONE]").doesNotContain("finish_reason\":\"");
    LedgerEntry call = single(id);
    assertThat(call.finishedAt()).isNotNull();
    assertThat(call.aborted()).isFalse();
    assertThat(call.usageReported()).isFalse();
    assertThat(call.completionTokens()).isEqualTo(5);
  }

  @Test
  void shouldAnswerANonStreamMidstreamErrorWithA500() {
    String id = newId();

    Reply reply = client.chat(request("sim-midstream-error", false, false, null), headers(id));

    assertThat(reply.status()).isEqualTo(500);
    assertThat(reply.json().at("/error/type").stringValue()).isEqualTo("server_error");
    assertThat(single(id).content()).isEmpty();
  }

  @Test
  void shouldCloseTheConnectionWithoutAResponseForANonStreamTruncatedCall() {
    String id = newId();

    StepVerifier.create(client.post("/v1/chat/completions", request("sim-truncated", false, false, null), headers(id)))
        .expectError()
        .verify(Duration.ofSeconds(5));

    LedgerEntry call = single(id);
    assertThat(call.httpStatus()).isZero();
    assertThat(call.finishedAt()).isNotNull();
    assertThat(call.aborted()).isFalse();
  }

  @Test
  void shouldNeverSendUsageForSimNoUsage() {
    String id = newId();

    Reply reply = client.chat(request("sim-no-usage", true, true, null), headers(id));

    assertThat(reply.events()).last().isEqualTo("[DONE]");
    assertThat(reply.body()).doesNotContain("\"usage\":{");
    assertThat(single(id).usageReported()).isFalse();
  }

  @ParameterizedTest(name = "{0} -> {1} after {2} chunks")
  @CsvSource({"sim-content-filter, content_filter, 5", "sim-length, length, 40", "sim-tokens-7, stop, 7"})
  void shouldFinishWithTheScenariosReason(String model, String finishReason, int chunks) {
    String id = newId();

    Reply reply = client.chat(request(model, true, true, null), headers(id));

    assertThat(reply.contentChunks()).hasSize(chunks);
    assertThat(reply.body()).contains("\"finish_reason\":\"" + finishReason + "\"");
    assertThat(reply.events()).last().isEqualTo("[DONE]");
    assertThat(single(id).completionTokens()).isEqualTo(chunks);
  }

  @Test
  void shouldSpreadSimMsOverTheRequestedTime() {
    String id = newId();
    long start = System.nanoTime();

    Reply reply = client.chat(request("sim-ms-600", true, false, null), headers(id));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(590));
    assertThat(reply.contentChunks()).hasSize(40);
  }

  @Test
  void shouldPaceSimSlowAtTenTokensPerSecond() {
    long start = System.nanoTime();

    Reply reply = client.chat(request("sim-slow", true, false, 3), headers(newId()));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("20 ms + 2 x 100 ms")
        .isGreaterThanOrEqualTo(Duration.ofMillis(210));
    assertThat(reply.contentChunks()).hasSize(3);
  }

  @Test
  void shouldRecordAnAbortWhenTheCallerCancelsAfterTwoChunks() {
    String id = newId();

    List<String> received = client.events(request("sim-tokens-1000", true, true, null), headers(id))
        .take(3) // the role chunk and two content chunks
        .collectList().block(Duration.ofSeconds(10));

    assertThat(received).hasSize(3);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(single(id).aborted()).isTrue());
    LedgerEntry call = single(id);
    assertThat(call.abortedAt()).isNotNull();
    assertThat(call.finishedAt()).isNull();
    assertThat(call.usageReported()).isFalse();
    assertThat(call.completionTokens()).isBetween(2L, 999L);
    await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(2)).untilAsserted(() ->
        assertThat(single(id).completionTokens()).as("nothing is counted after the abort")
            .isEqualTo(call.completionTokens()));
  }

  @Test
  void shouldStallAfterTheFirstChunkUntilTheCallerGivesUp() {
    String id = newId();

    StepVerifier.create(client.events(request("sim-stall", true, true, null), headers(id)))
        .expectNextCount(2) // role chunk and the first content chunk
        .expectNoEvent(Duration.ofMillis(300))
        .thenCancel()
        .verify(Duration.ofSeconds(5));

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(single(id).aborted()).isTrue());
    assertThat(single(id)).extracting(LedgerEntry::httpStatus, LedgerEntry::completionTokens)
        .containsExactly(200, 1L);
  }

  @Test
  void shouldSendNothingAtAllForSimSilent() {
    String id = newId();

    StepVerifier.create(client.post("/v1/chat/completions", request("sim-silent", false, false, null), headers(id)))
        .expectSubscription()
        .expectNoEvent(Duration.ofMillis(300))
        .thenCancel()
        .verify(Duration.ofSeconds(5));

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(single(id).aborted()).isTrue());
    assertThat(single(id).httpStatus()).isZero();
  }

  @Test
  void shouldFailTheFirstCallsOfAClientRequestIdThenSucceed() {
    String id = newId();
    String body = request("sim-fail-then-ok-2", true, true, null);

    List<Integer> statuses = Flux.range(1, 3).map(i -> client.chat(body, headers(id)).status()).collectList().block();

    assertThat(statuses).containsExactly(500, 500, 200);
    assertThat(simulator.ledger().byClientRequestId(id)).extracting(LedgerEntry::httpStatus)
        .containsExactly(500, 500, 200);
    assertThat(client.chat(body, headers(newId())).status()).as("another id starts again").isEqualTo(500);
  }

  @Test
  void shouldServeTheLedgerAsJson() {
    String id = newId();
    client.chat(request("sim-tokens-3", true, true, null), headers(id));

    Reply reply = client.get("/_sim/ledger?clientRequestId=" + id);

    assertThat(reply.status()).isEqualTo(200);
    JsonNode entries = reply.json();
    assertThat(entries.isArray()).isTrue();
    assertThat(entries).hasSize(1);
    JsonNode entry = entries.get(0);
    LedgerEntry call = single(id);
    assertThat(entry.path("callId").stringValue()).isEqualTo(call.callId());
    assertThat(entry.path("clientRequestId").stringValue()).isEqualTo(id);
    assertThat(entry.path("completionTokens").longValue()).isEqualTo(3);
    assertThat(entry.path("content").stringValue()).isEqualTo(call.content());
    assertThat(entry.path("startedAt").stringValue()).isEqualTo(call.startedAt().toString());
    assertThat(entry.path("aborted").booleanValue()).isFalse();
    assertThat(client.get("/_sim/ledger").json().size()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void shouldCompleteTwoHundredConcurrentStreams() {
    List<String> ids = Flux.range(0, 200).map(i -> newId()).collectList().block();
    long start = System.nanoTime();

    List<Reply> replies = Flux.fromIterable(ids)
        .flatMap(id -> client.post("/v1/chat/completions", request("gpt-4o-mini", true, true, null), headers(id)), 200)
        .collectList()
        .block(Duration.ofSeconds(60));

    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    assertThat(replies).hasSize(200).allSatisfy(reply -> {
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.contentChunks()).hasSize(40);
      assertThat(reply.events()).last().isEqualTo("[DONE]");
    });
    assertThat(elapsed).as("concurrent, not one after another (200 x 215 ms)").isLessThan(Duration.ofSeconds(20));
    assertThat(ids).allSatisfy(id -> {
      LedgerEntry call = single(id);
      assertThat(call.completionTokens()).isEqualTo(40);
      assertThat(call.usageReported()).isTrue();
      assertThat(call.finishedAt()).isNotNull();
    });
  }

  private static LedgerEntry single(String clientRequestId) {
    List<LedgerEntry> calls = simulator.ledger().byClientRequestId(clientRequestId);
    assertThat(calls).as("calls with X-Client-Request-Id %s", clientRequestId).hasSize(1);
    return calls.get(0);
  }

  private static String newId() {
    return UUID.randomUUID().toString();
  }

  private static Map<String, String> headers(String clientRequestId) {
    return Map.of("X-Client-Request-Id", clientRequestId, "Authorization", "Bearer sk-test",
        "Content-Type", "application/json");
  }

  private static String request(String model, boolean stream, boolean includeUsage, @Nullable Integer maxTokens) {
    return """
        {"model":%s,"messages":[{"role":"user","content":%s}],"stream":%s%s%s,"temperature":0.7}
        """.formatted(Json.quote(model), Json.quote(PROMPT), stream,
        includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "",
        maxTokens == null ? "" : ",\"max_tokens\":" + maxTokens);
  }
}
