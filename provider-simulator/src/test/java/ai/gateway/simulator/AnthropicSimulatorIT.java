package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.gateway.simulator.SimClient.Reply;
import ai.gateway.simulator.SimClient.SseEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
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

/** Anthropic Messages over real HTTP, checked against the ledger and the shapes of the anthropic-* fixtures. */
class AnthropicSimulatorIT {

  private static final String PATH = "/v1/messages";
  private static final String SYSTEM = "Be brief.";
  private static final String PROMPT = "Say hello in three words";

  private static ProviderSimulator simulator;
  private static SimClient client;

  @BeforeAll
  static void start() {
    simulator = ProviderSimulator.start(SimulatorConfig.defaults());
    client = new SimClient(simulator.anthropicBaseUrl());
  }

  @AfterAll
  static void stop() {
    client.close();
    simulator.close();
  }

  @Test
  void shouldServeMessagesUnderTheBareBaseUrl() {
    assertThat(simulator.anthropicBaseUrl()).isEqualTo(simulator.baseUrl());
  }

  @Test
  void shouldStreamAnthropicsEventSequenceWithUsageThatMatchesTheLedger() {
    // given
    String id = newId();

    // when
    Reply reply = post(request("claude-sonnet-4-5", true, 256, null), headers(id));

    // then
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("content-type")).isEqualTo("text/event-stream; charset=utf-8");
    List<SseEvent> events = reply.sse();
    List<String> expected = new ArrayList<>(List.of("message_start", "content_block_start", "ping"));
    expected.addAll(Collections.nCopies(40, "content_block_delta"));
    expected.addAll(List.of("content_block_stop", "message_delta", "message_stop"));
    assertThat(events).extracting(SseEvent::event).containsExactlyElementsOf(expected);
    assertThat(events).allSatisfy(event ->
        assertThat(event.json().path("type").stringValue()).as("event name = data.type").isEqualTo(event.event()));
    assertThat(reply.body()).doesNotContain("[DONE]").doesNotContain("\r");

    JsonNode start = events.get(0).json().path("message");
    LedgerEntry call = single(id);
    assertThat(start.path("model").stringValue()).as("Anthropic echoes the model id").isEqualTo("claude-sonnet-4-5");
    assertThat(start.path("id").stringValue()).isEqualTo("msg_" + call.callId());
    assertThat(start.at("/usage/input_tokens").longValue()).isEqualTo(call.promptTokens()).isEqualTo(9); // 33 chars
    assertThat(start.at("/usage/output_tokens").longValue()).as("the live API's initial count").isEqualTo(1);
    JsonNode delta = events.get(44).json();
    assertThat(delta.at("/delta/stop_reason").stringValue()).isEqualTo("end_turn");
    assertThat(delta.at("/usage/output_tokens").longValue()).as("cumulative: replaces the 1, never added to it")
        .isEqualTo(call.completionTokens()).isEqualTo(40);
    assertThat(delta.at("/usage/input_tokens").longValue()).isEqualTo(9);
    assertThat(text(events)).isEqualTo(call.content());
    assertThat(reply.headers().get("request-id")).isEqualTo("req_" + call.callId());
    assertThat(call).extracting(LedgerEntry::provider, LedgerEntry::model, LedgerEntry::scenario, LedgerEntry::stream,
            LedgerEntry::httpStatus, LedgerEntry::usageReported, LedgerEntry::aborted, LedgerEntry::authorized)
        .containsExactly("anthropic", "claude-sonnet-4-5", "normal", true, 200, true, false, true);
    assertThat(call.finishedAt()).isNotNull();
  }

  @Test
  void shouldAnswerANonStreamCallWithOneMessageAndTheSameTextAsTheStream() {
    String streamed = newId();
    String whole = newId();
    long start = System.nanoTime();

    Reply reply = post(request("claude-sonnet-4-5", false, 256, null), headers(whole));
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    post(request("claude-sonnet-4-5", true, 256, null), headers(streamed));

    assertThat(elapsed).as("TTFT 20 ms + 39 x 5 ms").isGreaterThanOrEqualTo(Duration.ofMillis(200));
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("content-type")).isEqualTo("application/json");
    JsonNode body = reply.json();
    LedgerEntry call = single(whole);
    assertThat(body.path("type").stringValue()).isEqualTo("message");
    assertThat(body.path("role").stringValue()).isEqualTo("assistant");
    assertThat(body.path("model").stringValue()).isEqualTo("claude-sonnet-4-5");
    assertThat(body.at("/content/0/type").stringValue()).isEqualTo("text");
    assertThat(body.at("/content/0/text").stringValue()).isEqualTo(call.content())
        .isEqualTo(single(streamed).content());
    assertThat(body.path("stop_reason").stringValue()).isEqualTo("end_turn");
    assertThat(body.path("stop_sequence").isNull()).isTrue();
    assertThat(body.at("/usage/input_tokens").longValue()).isEqualTo(call.promptTokens()).isEqualTo(9);
    assertThat(body.at("/usage/output_tokens").longValue()).isEqualTo(call.completionTokens()).isEqualTo(40);
    assertThat(call.usageReported()).isTrue();
    assertThat(call.stream()).isFalse();
  }

  @Test
  void shouldCountASystemPromptGivenAsTextBlocksLikeAString() {
    String blocks = newId();
    String string = newId();

    post("""
        {"model":"claude-x","max_tokens":3,"system":[{"type":"text","text":"Be brief."}],
         "messages":[{"role":"user","content":[{"type":"text","text":"Say hello in three words"}]}]}
        """, headers(blocks));
    post(request("claude-x", false, 3, null), headers(string));

    assertThat(single(blocks).promptTokens()).isEqualTo(single(string).promptTokens()).isEqualTo(9);
    assertThat(single(blocks).content()).isEqualTo(single(string).content());
  }

  @Test
  void shouldStopAtMaxTokensWithStopReasonMaxTokens() {
    String id = newId();

    Reply reply = post(request("claude-x", true, 5, null), headers(id));

    assertThat(deltas(reply)).hasSize(5);
    JsonNode delta = event(reply, "message_delta");
    assertThat(delta.at("/delta/stop_reason").stringValue()).isEqualTo("max_tokens");
    assertThat(delta.at("/usage/output_tokens").longValue()).isEqualTo(5);
    assertThat(single(id).completionTokens()).isEqualTo(5);
  }

  @ParameterizedTest(name = "{0} (stream={1}) -> {2} {3}")
  @CsvSource({
      "sim-error-429, true, 429, rate_limit_error, rate limit",
      "sim-error-500, false, 500, api_error, Internal server error",
      "sim-error-503, true, 529, overloaded_error, Overloaded",
      "sim-error-401, false, 401, authentication_error, invalid x-api-key",
      "sim-error-400, true, 400, invalid_request_error, maximum allowed number of output tokens",
      "sim-error-context, false, 400, invalid_request_error, prompt is too long",
      "sim-error-quota, true, 400, invalid_request_error, credit balance is too low",
      "sim-unheard-of, false, 404, not_found_error, model: sim-unheard-of"})
  void shouldAnswerErrorScenariosWithAnthropicsStatusAndErrorType(String model, boolean stream, int status,
      String type, String message) {
    String id = newId();

    Reply reply = post(request(model, stream, 256, null), headers(id));

    assertThat(reply.status()).isEqualTo(status);
    assertThat(reply.headers().get("content-type")).as("JSON even for a stream request").isEqualTo("application/json");
    JsonNode body = reply.json();
    LedgerEntry call = single(id);
    assertThat(body.propertyNames()).containsExactly("type", "error", "request_id");
    assertThat(body.path("type").stringValue()).isEqualTo("error");
    assertThat(body.at("/error/type").stringValue()).isEqualTo(type);
    assertThat(body.at("/error/message").stringValue()).contains(message);
    assertThat(body.path("request_id").stringValue()).isEqualTo("req_" + call.callId())
        .isEqualTo(reply.headers().get("request-id"));
    assertThat(call).extracting(LedgerEntry::provider, LedgerEntry::httpStatus, LedgerEntry::promptTokens,
        LedgerEntry::completionTokens, LedgerEntry::content).containsExactly("anthropic", status, 0L, 0L, "");
    assertThat(call.finishedAt()).isNotNull();
  }

  @Test
  void shouldSendRetryHeadersOnRateLimitAndOverloadButNotOnQuota() {
    Reply rateLimited = post(request("sim-error-429", false, 256, null), headers(newId()));
    Reply overloaded = post(request("sim-error-503", false, 256, null), headers(newId()));
    Reply quota = post(request("sim-error-quota", false, 256, null), headers(newId()));

    assertThat(rateLimited.headers().get("retry-after")).isEqualTo("1");
    assertThat(rateLimited.headers().get("anthropic-ratelimit-input-tokens-remaining")).isEqualTo("0");
    assertThat(rateLimited.headers().get("anthropic-ratelimit-input-tokens-reset"))
        .matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z");
    assertThat(overloaded.headers().get("x-should-retry")).isEqualTo("true");
    assertThat(quota.headers().get("retry-after")).isNull();
  }

  @Test
  void shouldRequireTheVersionHeaderWithAnthropicsBadRequest() {
    String id = newId();
    Map<String, String> headers = new HashMap<>(headers(id));
    headers.remove("anthropic-version");

    Reply reply = post(request("claude-x", true, 256, null), headers);

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.json().at("/error/type").stringValue()).isEqualTo("invalid_request_error");
    assertThat(reply.json().at("/error/message").stringValue()).isEqualTo("anthropic-version: header is required");
    assertThat(single(id)).extracting(LedgerEntry::scenario, LedgerEntry::model, LedgerEntry::stream)
        .containsExactly("invalid-request", "claude-x", true);
  }

  @Test
  void shouldRejectACallWithoutAKeyAsUnauthorized() {
    String id = newId();

    Reply reply = post(request("claude-x", false, 256, null),
        Map.of("X-Client-Request-Id", id, "anthropic-version", "2023-06-01", "x-api-key", " "));

    assertThat(reply.status()).isEqualTo(401);
    assertThat(reply.json().at("/error/type").stringValue()).isEqualTo("authentication_error");
    assertThat(single(id)).extracting(LedgerEntry::scenario, LedgerEntry::authorized)
        .containsExactly("missing-api-key", false);
  }

  @Test
  void shouldRejectTheReservedInvalidKeyWithoutEchoingIt() {
    String id = newId();
    Map<String, String> headers = new HashMap<>(headers(id));
    headers.put("x-api-key", "sk-sim-invalid");

    Reply reply = post(request("claude-x", true, 256, null), headers);

    assertThat(reply.status()).isEqualTo(401);
    assertThat(reply.json().at("/error/type").stringValue()).isEqualTo("authentication_error");
    assertThat(reply.body()).doesNotContain("sk-sim-invalid");
    assertThat(single(id)).extracting(LedgerEntry::scenario, LedgerEntry::authorized)
        .containsExactly("invalid-api-key", true);
    assertThat(client.get("/_sim/ledger").body()).doesNotContain("sk-sim-invalid");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | max_tokens: Field required",
      "{\"model\":\"claude-x\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | max_tokens:",
      "{\"model\":\"claude-x\",\"max_tokens\":9,\"temperature\":1.5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
          + " | temperature: range: 0..1",
      "{\"model\":\"claude-x\",\"max_tokens\":9,\"messages\":[]} | messages: at least one message is required",
      "{\"model\":\"claude-x\",\"max_tokens\":9,\"messages\":[{\"role\":\"system\",\"content\":\"hi\"}]}"
          + " | messages.0.role",
      "{\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} | model: Field required",
      "{\"model\": | error parsing the body"})
  void shouldRejectInvalidBodiesAsAnthropicDoes(String body, String message) {
    String id = newId();

    Reply reply = post(body, headers(id));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.json().at("/error/type").stringValue()).isEqualTo("invalid_request_error");
    assertThat(reply.json().at("/error/message").stringValue()).contains(message);
    assertThat(single(id).scenario()).isEqualTo("invalid-request");
  }

  @Test
  void shouldSendAnOverloadedErrorEventAfterThreeDeltasAndEndTheStream() {
    String id = newId();

    Reply reply = post(request("sim-midstream-error", true, 256, null), headers(id));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.error()).as("the stream ends normally after the error event").isNull();
    List<SseEvent> events = reply.sse();
    assertThat(events).extracting(SseEvent::event).containsExactly("message_start", "content_block_start", "ping",
        "content_block_delta", "content_block_delta", "content_block_delta", "error");
    JsonNode error = events.get(6).json();
    assertThat(error.path("type").stringValue()).isEqualTo("error");
    assertThat(error.at("/error/type").stringValue()).isEqualTo("overloaded_error");
    LedgerEntry call = single(id);
    assertThat(call.completionTokens()).isEqualTo(3);
    assertThat(call.content()).isEqualTo(text(events));
    assertThat(call.usageReported()).as("message_start's usage is not the final one").isFalse();
    assertThat(call.finishedAt()).isNotNull();
  }

  @Test
  void shouldAnswerANonStreamMidstreamErrorWithA529() {
    Reply reply = post(request("sim-midstream-error", false, 256, null), headers(newId()));

    assertThat(reply.status()).isEqualTo(529);
    assertThat(reply.json().at("/error/type").stringValue()).isEqualTo("overloaded_error");
  }

  @Test
  void shouldRefuseAfterFiveDeltasForSimContentFilter() {
    String id = newId();

    Reply stream = post(request("sim-content-filter", true, 256, null), headers(id));
    Reply whole = post(request("sim-content-filter", false, 256, null), headers(newId()));

    assertThat(deltas(stream)).hasSize(5);
    JsonNode delta = event(stream, "message_delta");
    assertThat(delta.at("/delta/stop_reason").stringValue()).isEqualTo("refusal");
    assertThat(delta.at("/usage/output_tokens").longValue()).isEqualTo(5);
    assertThat(stream.sse()).last().extracting(SseEvent::event).isEqualTo("message_stop");
    assertThat(whole.json().path("stop_reason").stringValue()).isEqualTo("refusal");
    assertThat(single(id).completionTokens()).isEqualTo(5);
  }

  @Test
  void shouldDropOnlyTheFinalUsageForSimNoUsage() {
    String streamed = newId();
    String whole = newId();

    Reply stream = post(request("sim-no-usage", true, 256, null), headers(streamed));
    Reply body = post(request("sim-no-usage", false, 256, null), headers(whole));

    assertThat(event(stream, "message_start").at("/message/usage/input_tokens").isNumber())
        .as("Anthropic always starts with usage").isTrue();
    JsonNode delta = event(stream, "message_delta");
    assertThat(delta.has("usage")).isFalse();
    assertThat(delta.at("/delta/stop_reason").stringValue()).isEqualTo("end_turn");
    assertThat(body.json().has("usage")).isFalse();
    assertThat(single(streamed).usageReported()).isFalse();
    assertThat(single(whole).usageReported()).isFalse();
    assertThat(single(streamed).completionTokens()).isEqualTo(40);
  }

  @Test
  void shouldEndWithMaxTokensForSimLength() {
    Reply reply = post(request("sim-length", true, 256, null), headers(newId()));

    assertThat(deltas(reply)).hasSize(40);
    assertThat(event(reply, "message_delta").at("/delta/stop_reason").stringValue()).isEqualTo("max_tokens");
  }

  @Test
  void shouldCloseTheConnectionMidStreamWhenTruncated() {
    String id = newId();

    Reply reply = post(request("sim-truncated", true, 256, null), headers(id));

    assertThat(reply.error()).as("the body ended without the chunked terminator").isNotNull();
    assertThat(deltas(reply)).hasSize(5);
    assertThat(reply.body()).doesNotContain("message_delta").doesNotContain("message_stop");
    LedgerEntry call = single(id);
    assertThat(call.finishedAt()).isNotNull();
    assertThat(call.aborted()).isFalse();
    assertThat(call.usageReported()).isFalse();
  }

  @Test
  void shouldRecordAnAbortWhenTheCallerCancelsMidStream() {
    String id = newId();

    List<String> received = client.events(PATH, request("sim-tokens-1000", true, 2000, null), headers(id))
        .take(5) // message_start, content_block_start, ping and two deltas
        .collectList().block(Duration.ofSeconds(10));

    assertThat(received).hasSize(5);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(single(id).aborted()).isTrue());
    LedgerEntry call = single(id);
    assertThat(call.finishedAt()).isNull();
    assertThat(call.usageReported()).isFalse();
    assertThat(call.completionTokens()).isBetween(2L, 999L);
  }

  @Test
  void shouldStallAfterTheFirstDeltaUntilTheCallerGivesUp() {
    String id = newId();

    StepVerifier.create(client.events(PATH, request("sim-stall", true, 256, null), headers(id)))
        .expectNextCount(4) // message_start, content_block_start, ping, the first delta
        .expectNoEvent(Duration.ofMillis(300))
        .thenCancel()
        .verify(Duration.ofSeconds(5));

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(single(id).aborted()).isTrue());
    assertThat(single(id).completionTokens()).isEqualTo(1);
  }

  @Test
  void shouldFailTheFirstCallsOfAClientRequestIdWithAnApiErrorThenSucceed() {
    String id = newId();
    String body = request("sim-fail-then-ok-1", true, 256, null);

    List<Integer> statuses = Flux.range(1, 2).map(i -> post(body, headers(id)).status()).collectList().block();

    assertThat(statuses).containsExactly(500, 200);
    assertThat(simulator.ledger().byClientRequestId(id)).extracting(LedgerEntry::provider)
        .containsOnly("anthropic");
  }

  private static Reply post(String body, Map<String, String> headers) {
    return client.post(PATH, body, headers).block(Duration.ofSeconds(30));
  }

  private static List<JsonNode> deltas(Reply reply) {
    return reply.sse().stream().filter(event -> "content_block_delta".equals(event.event())).map(SseEvent::json)
        .toList();
  }

  private static JsonNode event(Reply reply, String name) {
    return reply.sse().stream().filter(event -> name.equals(event.event())).findFirst().orElseThrow().json();
  }

  private static String text(List<SseEvent> events) {
    StringBuilder text = new StringBuilder();
    events.stream().filter(event -> "content_block_delta".equals(event.event()))
        .forEach(event -> text.append(event.json().at("/delta/text").stringValue()));
    return text.toString();
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
    return Map.of("X-Client-Request-Id", clientRequestId, "x-api-key", "sk-ant-test",
        "anthropic-version", "2023-06-01", "Content-Type", "application/json");
  }

  static String request(String model, boolean stream, int maxTokens, @Nullable Double temperature) {
    return """
        {"model":%s,"max_tokens":%d,"system":%s,"messages":[{"role":"user","content":%s}],"stream":%s%s}
        """.formatted(Json.quote(model), maxTokens, Json.quote(SYSTEM), Json.quote(PROMPT), stream,
        temperature == null ? "" : ",\"temperature\":" + temperature);
  }
}
