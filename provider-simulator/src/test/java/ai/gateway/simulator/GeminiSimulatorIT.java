package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import ai.gateway.simulator.SimClient.Reply;
import ai.gateway.simulator.SimClient.SseEvent;
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
import org.junit.jupiter.params.provider.ValueSource;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

/** Gemini generateContent over real HTTP, checked against the ledger and the shapes of the gemini-* fixtures. */
class GeminiSimulatorIT {

  private static final String SYSTEM = "Be brief.";
  private static final String PROMPT = "Say hello in three words";

  private static ProviderSimulator simulator;
  private static SimClient client;
  private static SimClient root;

  @BeforeAll
  static void start() {
    simulator = ProviderSimulator.start(SimulatorConfig.defaults());
    // Relative to the Gemini base URL, as a client resolves {base}/models/{model}:method.
    client = new SimClient(simulator.geminiBaseUrl());
    root = new SimClient(simulator.baseUrl());
  }

  @AfterAll
  static void stop() {
    client.close();
    root.close();
    simulator.close();
  }

  @Test
  void shouldServeModelsUnderV1beta() {
    assertThat(simulator.geminiBaseUrl()).isEqualTo(simulator.baseUrl() + "/v1beta");
  }

  @Test
  void shouldStreamCrlfFramedChunksWhoseLastCarriesFinishReasonAndUsage() {
    // given
    String id = newId();

    // when
    Reply reply = stream("gemini-2.0-flash", body(null), headers(id));

    // then
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("content-type")).isEqualTo("text/event-stream");
    assertThat(reply.headers().get("content-disposition")).isEqualTo("attachment");
    String[] frames = reply.body().split("\r\n\r\n", -1);
    assertThat(frames).as("40 events, each ended by CRLF CRLF").hasSize(41);
    assertThat(frames[40]).isEmpty();
    assertThat(List.of(frames).subList(0, 40)).allSatisfy(frame ->
        assertThat(frame).startsWith("data: {\"candidates\": [").doesNotContain("\n").doesNotContain("\r"));
    assertThat(reply.body()).doesNotContain("event:").doesNotContain("[DONE]");

    List<JsonNode> chunks = chunks(reply);
    LedgerEntry call = single(id);
    assertThat(chunks.subList(0, 39)).allSatisfy(chunk -> {
      assertThat(chunk.at("/candidates/0/content/role").stringValue()).isEqualTo("model");
      assertThat(chunk.at("/candidates/0/index").intValue()).isZero();
      assertThat(chunk.at("/candidates/0/finishReason").isMissingNode()).isTrue();
      assertThat(chunk.at("/usageMetadata/promptTokenCount").longValue()).isEqualTo(9);
      assertThat(chunk.at("/usageMetadata/candidatesTokenCount").isMissingNode())
          .as("intermediate usage is partial, as Gemini's").isTrue();
      assertThat(chunk.path("modelVersion").stringValue()).isEqualTo("gemini-2.0-flash");
    });
    JsonNode last = chunks.get(39);
    assertThat(last.at("/candidates/0/finishReason").stringValue()).isEqualTo("STOP");
    assertThat(last.at("/candidates/0/content/parts/0/text").stringValue()).matches(" [a-z]+");
    assertThat(last.at("/usageMetadata/promptTokenCount").longValue()).isEqualTo(call.promptTokens()).isEqualTo(9);
    assertThat(last.at("/usageMetadata/candidatesTokenCount").longValue()).isEqualTo(call.completionTokens())
        .isEqualTo(40);
    assertThat(last.at("/usageMetadata/totalTokenCount").longValue()).isEqualTo(49);
    assertThat(text(chunks)).isEqualTo(call.content());
    assertThat(call).extracting(LedgerEntry::provider, LedgerEntry::model, LedgerEntry::scenario, LedgerEntry::stream,
            LedgerEntry::httpStatus, LedgerEntry::usageReported, LedgerEntry::aborted, LedgerEntry::authorized)
        .containsExactly("gemini", "gemini-2.0-flash", "normal", true, 200, true, false, true);
    assertThat(call.finishedAt()).isNotNull();
  }

  @Test
  void shouldAnswerANonStreamCallWithOneResponseInTheChunkShape() {
    String id = newId();

    Reply reply = generate("gemini-2.0-flash", body(null), headers(id));

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.headers().get("content-type")).isEqualTo("application/json; charset=UTF-8");
    JsonNode body = reply.json();
    LedgerEntry call = single(id);
    assertThat(body.at("/candidates/0/content/parts/0/text").stringValue()).isEqualTo(call.content());
    assertThat(body.at("/candidates/0/content/role").stringValue()).isEqualTo("model");
    assertThat(body.at("/candidates/0/finishReason").stringValue()).isEqualTo("STOP");
    assertThat(body.at("/usageMetadata/promptTokenCount").longValue()).isEqualTo(9);
    assertThat(body.at("/usageMetadata/candidatesTokenCount").longValue()).isEqualTo(40);
    assertThat(body.at("/usageMetadata/totalTokenCount").longValue()).isEqualTo(49);
    assertThat(body.path("modelVersion").stringValue()).isEqualTo("gemini-2.0-flash");
    assertThat(call.stream()).isFalse();
    assertThat(call.usageReported()).isTrue();
  }

  @Test
  void shouldGiveTheSameAnswerAsAnthropicAndOpenAiForTheSameSystemPromptAndPrompt() {
    String gemini = newId();
    String anthropic = newId();
    String openAi = newId();

    generate("gemini-2.0-flash", body(null), headers(gemini));
    root.post("/v1/messages", AnthropicSimulatorIT.request("claude-x", false, 100, null),
        Map.of("X-Client-Request-Id", anthropic, "x-api-key", "k", "anthropic-version", "2023-06-01"))
        .block(Duration.ofSeconds(10));
    root.post("/v1/chat/completions", """
        {"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},
         {"role":"user","content":"Say hello in three words"}]}
        """, Map.of("X-Client-Request-Id", openAi)).block(Duration.ofSeconds(10));

    assertThat(List.of(single(gemini), single(anthropic), single(openAi)))
        .extracting(LedgerEntry::provider, LedgerEntry::promptTokens, LedgerEntry::content)
        .containsExactly(
            tuple("gemini", 9L, single(openAi).content()),
            tuple("anthropic", 9L, single(openAi).content()),
            tuple("openai", 9L, single(openAi).content()));
  }

  @Test
  void shouldStopAtMaxOutputTokensWithMaxTokens() {
    String id = newId();

    Reply reply = stream("gemini-2.0-flash", body(5), headers(id));

    List<JsonNode> chunks = chunks(reply);
    assertThat(chunks).hasSize(5);
    assertThat(chunks.get(4).at("/candidates/0/finishReason").stringValue()).isEqualTo("MAX_TOKENS");
    assertThat(chunks.get(4).at("/usageMetadata/candidatesTokenCount").longValue()).isEqualTo(5);
    assertThat(generate("sim-length", body(null), headers(newId())).json().at("/candidates/0/finishReason")
        .stringValue()).isEqualTo("MAX_TOKENS");
  }

  @ParameterizedTest(name = "{0} (stream={1}) -> {2} {3}")
  @CsvSource({
      "sim-error-429, true, 429, RESOURCE_EXHAUSTED, exceeded your current quota",
      "sim-error-500, false, 500, INTERNAL, An internal error has occurred",
      "sim-error-503, true, 503, UNAVAILABLE, overloaded",
      "sim-error-401, false, 400, INVALID_ARGUMENT, API key not valid",
      "sim-error-400, true, 400, INVALID_ARGUMENT, maxOutputTokens",
      "sim-error-context, false, 400, INVALID_ARGUMENT, input token count",
      "sim-error-quota, true, 402, RESOURCE_EXHAUSTED, prepayment credits are depleted",
      "sim-unheard-of, false, 404, NOT_FOUND, models/sim-unheard-of is not found"})
  void shouldAnswerErrorScenariosWithGooglesStatusAndEnvelope(String model, boolean stream, int status,
      String rpcStatus, String message) {
    String id = newId();

    Reply reply = stream ? stream(model, body(null), headers(id)) : generate(model, body(null), headers(id));

    assertThat(reply.status()).isEqualTo(status);
    assertThat(reply.headers().get("content-type")).as("Gemini labels a stream call's error body as a stream")
        .isEqualTo(stream ? "text/event-stream" : "application/json; charset=UTF-8");
    assertThat(reply.body()).startsWith("{\n  \"error\": {\n    \"code\": " + status).endsWith("}\n");
    JsonNode error = reply.json().path("error");
    assertThat(error.path("code").intValue()).isEqualTo(status);
    assertThat(error.path("status").stringValue()).isEqualTo(rpcStatus);
    assertThat(error.path("message").stringValue()).contains(message);
    assertThat(single(id)).extracting(LedgerEntry::provider, LedgerEntry::httpStatus, LedgerEntry::promptTokens,
        LedgerEntry::completionTokens).containsExactly("gemini", status, 0L, 0L);
  }

  @Test
  void shouldCarryTheRetryDelayInRetryInfoOnlyAndMarkABadKeyAsApiKeyInvalid() {
    Reply rateLimited = generate("sim-error-429", body(null), headers(newId()));
    Reply badKey = generate("sim-error-401", body(null), headers(newId()));

    assertThat(rateLimited.headers().get("retry-after")).isNull();
    JsonNode retryInfo = detail(rateLimited, "type.googleapis.com/google.rpc.RetryInfo");
    assertThat(retryInfo.path("retryDelay").stringValue()).isEqualTo("1s");
    assertThat(detail(badKey, "type.googleapis.com/google.rpc.ErrorInfo").path("reason").stringValue())
        .isEqualTo("API_KEY_INVALID");
  }

  @ParameterizedTest
  @ValueSource(strings = {"key=AIzaSyLeaked", "alt=sse&key=AIzaSyLeaked"})
  void shouldRejectAKeyInTheUrlEvenWithTheHeaderSet(String query) {
    String id = newId();

    Reply reply = post("/models/gemini-2.0-flash:streamGenerateContent?" + query, body(null), headers(id));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.json().at("/error/status").stringValue()).isEqualTo("INVALID_ARGUMENT");
    assertThat(reply.body()).doesNotContain("AIzaSyLeaked");
    assertThat(single(id)).extracting(LedgerEntry::scenario, LedgerEntry::httpStatus)
        .containsExactly("key-in-url", 400);
    assertThat(root.get("/_sim/ledger").body()).doesNotContain("AIzaSyLeaked");
  }

  @Test
  void shouldAnswerACallWithoutAKeyWithPermissionDenied() {
    String id = newId();

    Reply reply = generate("gemini-2.0-flash", body(null), Map.of("X-Client-Request-Id", id));

    assertThat(reply.status()).isEqualTo(403);
    assertThat(reply.json().at("/error/status").stringValue()).isEqualTo("PERMISSION_DENIED");
    assertThat(single(id)).extracting(LedgerEntry::scenario, LedgerEntry::authorized)
        .containsExactly("missing-api-key", false);
  }

  @Test
  void shouldRejectTheReservedInvalidKeyAsGeminiDoesWithoutEchoingIt() {
    String id = newId();

    Reply reply = generate("gemini-2.0-flash", body(null),
        Map.of("X-Client-Request-Id", id, "x-goog-api-key", "sk-sim-invalid"));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(detail(reply, "type.googleapis.com/google.rpc.ErrorInfo").path("reason").stringValue())
        .isEqualTo("API_KEY_INVALID");
    assertThat(reply.body()).doesNotContain("sk-sim-invalid");
    assertThat(single(id)).extracting(LedgerEntry::scenario, LedgerEntry::authorized)
        .containsExactly("invalid-api-key", true);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "/models/org%2Fmodel:generateContent | 400",
      "/models/bad name:generateContent | 400",
      "/models/gemini-2.0-flash:countTokens | 404",
      "/models/gemini-2.0-flash:streamGenerateContent | 400"})
  void shouldValidateTheModelSegmentTheMethodAndAltSse(String path, int status) {
    String id = newId();

    Reply reply = post(path.replace(" ", "%20"), body(null), headers(id));

    assertThat(reply.status()).isEqualTo(status);
    assertThat(reply.json().at("/error/code").intValue()).isEqualTo(status);
    assertThat(single(id).scenario()).isEqualTo("invalid-request");
  }

  @Test
  void shouldAcceptModelNamesOfUpTo128Characters() {
    String longest = newId();
    String tooLong = newId();

    Reply accepted = generate("m".repeat(128), body(1), headers(longest));
    Reply rejected = generate("m".repeat(129), body(1), headers(tooLong));

    assertThat(accepted.status()).isEqualTo(200);
    assertThat(rejected.status()).isEqualTo(400);
    assertThat(single(tooLong).scenario()).isEqualTo("invalid-request");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"contents\":[]} | contents is not specified",
      "{\"contents\":[{\"role\":\"assistant\",\"parts\":[{\"text\":\"hi\"}]}]} | valid role",
      "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}],\"generationConfig\":{\"temperature\":3}} | temperature",
      "{\"contents\":[{\"parts\":[{\"text\":\"hi\"}]}],\"generationConfig\":{\"maxOutputTokens\":0}} | maxOutputTokens",
      "{\"contents\": | Invalid JSON payload"})
  void shouldRejectInvalidBodiesWithInvalidArgument(String body, String message) {
    String id = newId();

    Reply reply = generate("gemini-2.0-flash", body, headers(id));

    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.json().at("/error/status").stringValue()).isEqualTo("INVALID_ARGUMENT");
    assertThat(reply.json().at("/error/message").stringValue()).contains(message);
    assertThat(single(id).scenario()).isEqualTo("invalid-request");
  }

  @Test
  void shouldPutABareErrorObjectInsideTheStreamAfterThreeChunks() {
    String id = newId();

    Reply reply = stream("sim-midstream-error", body(null), headers(id));

    assertThat(reply.status()).isEqualTo(200);
    String[] parts = reply.body().split("\r\n\r\n", -1);
    assertThat(parts).hasSize(4);
    assertThat(parts[3]).as("pretty-printed, without a data: prefix").startsWith("{\n  \"error\": {");
    JsonNode error = Json.MAPPER.readTree(parts[3]).path("error");
    assertThat(error.path("code").intValue()).isEqualTo(500);
    assertThat(error.path("status").stringValue()).isEqualTo("INTERNAL");
    assertThat(reply.body()).doesNotContain("finishReason").doesNotContain("candidatesTokenCount");
    LedgerEntry call = single(id);
    assertThat(call.completionTokens()).isEqualTo(3);
    assertThat(call.usageReported()).as("only partial usage arrived").isFalse();
    assertThat(call.content()).isEqualTo(text(chunks(reply)));
    assertThat(generate("sim-midstream-error", body(null), headers(newId())).status()).isEqualTo(500);
  }

  @Test
  void shouldEndWithASafetyChunkWithoutContentForSimContentFilter() {
    String id = newId();

    Reply reply = stream("sim-content-filter", body(null), headers(id));

    List<JsonNode> chunks = chunks(reply);
    assertThat(chunks).hasSize(6);
    JsonNode blocked = chunks.get(5);
    assertThat(blocked.at("/candidates/0/finishReason").stringValue()).isEqualTo("SAFETY");
    assertThat(blocked.at("/candidates/0/content").isMissingNode()).isTrue();
    assertThat(blocked.at("/usageMetadata/candidatesTokenCount").longValue()).isEqualTo(5);
    assertThat(single(id).completionTokens()).isEqualTo(5);
    assertThat(generate("sim-content-filter", body(null), headers(newId())).json()
        .at("/candidates/0/finishReason").stringValue()).isEqualTo("SAFETY");
  }

  @Test
  void shouldSendNoUsageMetadataAtAllForSimNoUsage() {
    String streamed = newId();
    String whole = newId();

    Reply stream = stream("sim-no-usage", body(null), headers(streamed));
    Reply body = generate("sim-no-usage", body(null), headers(whole));

    assertThat(chunks(stream)).hasSize(40).last()
        .satisfies(last -> assertThat(last.at("/candidates/0/finishReason").stringValue()).isEqualTo("STOP"));
    assertThat(stream.body()).doesNotContain("usageMetadata");
    assertThat(body.body()).doesNotContain("usageMetadata");
    assertThat(single(streamed).usageReported()).isFalse();
    assertThat(single(whole).usageReported()).isFalse();
  }

  @Test
  void shouldCloseTheConnectionMidStreamWhenTruncated() {
    String id = newId();

    Reply reply = stream("sim-truncated", body(null), headers(id));

    assertThat(reply.error()).as("the body ended without the chunked terminator").isNotNull();
    assertThat(chunks(reply)).hasSize(5);
    assertThat(reply.body()).doesNotContain("finishReason");
    LedgerEntry call = single(id);
    assertThat(call.finishedAt()).isNotNull();
    assertThat(call.aborted()).isFalse();
    assertThat(call.usageReported()).isFalse();
  }

  @Test
  void shouldRecordAnAbortWhenTheCallerCancelsMidStream() {
    String id = newId();

    List<String> received = client.events("/models/sim-tokens-1000:streamGenerateContent?alt=sse", body(null),
            headers(id))
        .take(2)
        .collectList().block(Duration.ofSeconds(10));

    assertThat(received).hasSize(2);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(single(id).aborted()).isTrue());
    LedgerEntry call = single(id);
    assertThat(call.finishedAt()).isNull();
    assertThat(call.usageReported()).isFalse();
    assertThat(call.completionTokens()).isBetween(2L, 999L);
  }

  @Test
  void shouldSendNothingAtAllForSimSilent() {
    String id = newId();

    StepVerifier.create(client.post("/models/sim-silent:generateContent", body(null), headers(id)))
        .expectSubscription()
        .expectNoEvent(Duration.ofMillis(300))
        .thenCancel()
        .verify(Duration.ofSeconds(5));

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(single(id).aborted()).isTrue());
    assertThat(single(id).httpStatus()).isZero();
  }

  private static Reply stream(String model, String body, Map<String, String> headers) {
    return post("/models/" + model + ":streamGenerateContent?alt=sse", body, headers);
  }

  private static Reply generate(String model, String body, Map<String, String> headers) {
    return post("/models/" + model + ":generateContent", body, headers);
  }

  private static Reply post(String path, String body, Map<String, String> headers) {
    return client.post(path, body, headers).block(Duration.ofSeconds(30));
  }

  private static List<JsonNode> chunks(Reply reply) {
    return reply.sse().stream().map(SseEvent::json).toList();
  }

  private static String text(List<JsonNode> chunks) {
    StringBuilder text = new StringBuilder();
    chunks.forEach(chunk -> text.append(chunk.at("/candidates/0/content/parts/0/text").asString("")));
    return text.toString();
  }

  private static JsonNode detail(Reply reply, String type) {
    for (JsonNode detail : reply.json().at("/error/details")) {
      if (type.equals(detail.path("@type").stringValue())) {
        return detail;
      }
    }
    throw new AssertionError("no " + type + " in " + reply.body());
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
    return Map.of("X-Client-Request-Id", clientRequestId, "x-goog-api-key", "AIza-sim-test",
        "Content-Type", "application/json");
  }

  private static String body(@Nullable Integer maxOutputTokens) {
    return """
        {"systemInstruction":{"parts":[{"text":%s}]},"contents":[{"role":"user","parts":[{"text":%s}]}],
         "generationConfig":{"temperature":0.7%s}}
        """.formatted(Json.quote(SYSTEM), Json.quote(PROMPT),
        maxOutputTokens == null ? "" : ",\"maxOutputTokens\":" + maxOutputTokens);
  }
}
