package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.HttpServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS row 45: generations and failures run with canary secrets — the three providers' keys, the
 * gateway's JWT secret and admin token, and the caller's own API key; then every place a secret could
 * leak to is searched for each canary, raw, base64- and URL-encoded: service logs (their stdout), every
 * Kafka topic from offset 0 (internal ones included), every PostgreSQL table, the metrics endpoints,
 * the problem bodies the clients got, and the Sentry envelopes the services sent.
 */
class SecretsCanaryIT {

  private static final String CANARY = canary("sk-canary-");
  private static final String ANTHROPIC_CANARY = canary("sk-ant-canary-");
  private static final String GEMINI_CANARY = canary("AIza-canary-");
  private static final String JWT_SECRET_CANARY = canary("jwt-secret-canary-");
  private static final String ADMIN_TOKEN_CANARY = canary("admin-token-canary-");
  /** The callback signing key (48 bytes), and the secret as configured: whsec_ + its base64. */
  private static final String SIGNING_KEY_CANARY = canary("signing-key-canary-");
  private static final String SIGNING_SECRET_CANARY = "whsec_"
      + Base64.getEncoder().encodeToString(SIGNING_KEY_CANARY.getBytes(StandardCharsets.US_ASCII));
  private static final List<String> CANARIES = new CopyOnWriteArrayList<>(List.of(CANARY, ANTHROPIC_CANARY,
      GEMINI_CANARY, JWT_SECRET_CANARY, ADMIN_TOKEN_CANARY, SIGNING_KEY_CANARY, SIGNING_SECRET_CANARY));
  private static final List<byte[]> SENTRY_ENVELOPES = new CopyOnWriteArrayList<>();
  private static final List<String> RESPONSES = new CopyOnWriteArrayList<>();

  private static HttpServer sentry;
  private static LocalStack stack;
  private static String apiKey;

  private static String canary(String prefix) {
    return prefix + UUID.randomUUID().toString().replace("-", "");
  }

  @BeforeAll
  static void startStackWithCanaryKeys() throws IOException {
    sentry = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    sentry.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
      SENTRY_ENVELOPES.add(gzip ? gunzip(body) : body);
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    sentry.start();
    String dsn = "http://public@127.0.0.1:" + sentry.getAddress().getPort() + "/1";
    Map<String, String> env = new HashMap<>();
    env.put("SENTRY_DSN", dsn);
    env.put("OPENAI_API_KEY", CANARY);
    env.put("ANTHROPIC_API_KEY", ANTHROPIC_CANARY);
    env.put("GEMINI_API_KEY", GEMINI_CANARY);
    env.put("GATEWAY_AUTH_JWT_SECRET", JWT_SECRET_CANARY);
    env.put("GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN_CANARY);
    env.put("GATEWAY_CALLBACKS_SIGNINGSECRET", SIGNING_SECRET_CANARY);
    // Every call below must reach a provider: no rate limit in the way (a list from the environment
    // replaces the configured list, so each window is given whole).
    env.put("GATEWAY_RATELIMIT_WINDOWS_0_PERIOD", "1s");
    env.put("GATEWAY_RATELIMIT_WINDOWS_0_LIMIT", "1000");
    stack = LocalStack.builder().env(env).start();
    // The keys are real (not the stack's placeholders), so the base URLs must point at the simulator.
    env.put("OPENAI_BASE_URL", stack.simulator().openAiBaseUrl());
    env.put("ANTHROPIC_BASE_URL", stack.simulator().anthropicBaseUrl());
    env.put("GEMINI_BASE_URL", stack.simulator().geminiBaseUrl());
    stack.restart(Service.WORKER, env);
    apiKey = stack.apiKey("canary-user", "pro");
    CANARIES.add(apiKey);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
    if (sentry != null) {
      sentry.stop(0);
    }
  }

  @Test
  void shouldNeverLeakAProviderKeyAnywhere() throws Exception {
    // given: successes, provider failures of every kind, a cut stream, and bad input, at each provider
    for (String provider : List.of("openai", "anthropic", "gemini")) {
      call("{\"prompt\":\"a normal call\",\"provider\":\"" + provider + "\",\"model\":\"sim-tokens-5\"}");
      for (String model : List.of("sim-error-401", "sim-error-500", "sim-error-429", "sim-error-400",
          "sim-error-quota", "sim-midstream-error", "sim-truncated", "sim-content-filter")) {
        call("{\"prompt\":\"make it fail\",\"provider\":\"" + provider + "\",\"model\":\"" + model + "\"}");
      }
    }
    call("{\"prompt\":\"bad\",\"maxTokens\":0}");
    call("{\"prompt\":\"bad\",\"api_key\":\"" + CANARY + "-smuggled\"}");
    RESPONSES.add(Http.postJson(stack.gatewayUrl() + "/v1/generate", ADMIN_TOKEN_CANARY, "{\"prompt\":\"hi\"}").body());
    assertThat(stack.simulator().ledger().entries()).as("calls reached each provider with its key")
        .extracting(entry -> entry.provider())
        .contains("openai", "anthropic", "gemini");
    assertThat(stack.simulator().ledger().entries()).allSatisfy(entry -> assertThat(entry.authorized()).isTrue());
    await().atMost(Duration.ofSeconds(30)).until(() -> !SENTRY_ENVELOPES.isEmpty());

    // then: no trace of the key anywhere (and the detector does find an encoded one)
    List<String> control = new ArrayList<>();
    scan("control", ("{\"auth\":\"" + Base64.getEncoder().encodeToString(
        ("Authorization: Bearer " + CANARY).getBytes(StandardCharsets.UTF_8)) + "\"}").getBytes(StandardCharsets.UTF_8), control);
    assertThat(control).as("the scanner finds a base64-encoded key at any offset").isNotEmpty();
    List<String> hits = new ArrayList<>();
    for (String body : RESPONSES) {
      scan("a response body", body.getBytes(StandardCharsets.UTF_8), hits);
    }
    for (byte[] envelope : SENTRY_ENVELOPES) {
      scan("a Sentry envelope", envelope, hits);
    }
    try (Stream<Path> logs = Files.list(stack.service(Service.GATEWAY).log().getParent())) {
      for (Path log : logs.toList()) {
        scan("log " + log.getFileName(), Files.readAllBytes(log), hits);
      }
    }
    for (Service service : Service.values()) {
      HttpResponse<String> metrics = Http.get(stack.service(service).baseUrl() + "/actuator/prometheus");
      assertThat(metrics.statusCode()).isEqualTo(200);
      scan("metrics of " + service.module(), metrics.body().getBytes(StandardCharsets.UTF_8), hits);
    }
    int records = scanTopics(hits);
    int rows = scanTables(hits);

    assertThat(records).as("records read from Kafka").isPositive();
    assertThat(rows).as("rows read from PostgreSQL").isPositive();
    assertThat(hits).isEmpty();
  }

  private static void call(String body) {
    RESPONSES.add(Http.postJson(stack.gatewayUrl() + "/v1/generate", apiKey, body).body());
  }

  private static int scanTopics(List<String> hits) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    List<String> topics;
    try (Admin admin = Admin.create(props)) {
      topics = new ArrayList<>(admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get());
    }
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    int records = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
             new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        consumer.partitionsFor(topic).forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          records++;
          String where = "topic " + record.topic();
          scan(where, record.key(), hits);
          scan(where, record.value(), hits);
          for (Header header : record.headers()) {
            scan(where + " header " + header.key(), header.value(), hits);
          }
        }
      }
    }
    return records;
  }

  private static int scanTables(List<String> hits) throws Exception {
    int rows = 0;
    try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(), Postgres.USER, Postgres.PASSWORD);
         Statement statement = db.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet result = statement.executeQuery("select quote_ident(table_schema) || '.' || quote_ident(table_name) "
          + "from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') "
          + "and table_type = 'BASE TABLE'")) {
        while (result.next()) {
          tables.add(result.getString(1));
        }
      }
      for (String table : tables) {
        try (ResultSet result = statement.executeQuery("select t::text from " + table + " t")) {
          while (result.next()) {
            rows++;
            scan("table " + table, result.getString(1).getBytes(StandardCharsets.UTF_8), hits);
          }
        }
      }
    }
    return rows;
  }

  private static void scan(String where, byte[] bytes, List<String> hits) {
    if (bytes == null) {
      return;
    }
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    for (String form : forms()) {
      if (text.contains(form)) {
        hits.add(where + " contains the canary (" + form.length() + " chars form)");
      }
    }
  }

  private static List<String> forms() {
    List<String> forms = new ArrayList<>();
    for (String canary : CANARIES) {
      forms.add(canary);
      // The secret part without its last 8 characters too: a key cut or partly masked still leaks.
      forms.add(canary.substring(0, canary.length() - 8));
      forms.add(URLEncoder.encode(canary, StandardCharsets.UTF_8));
      // Base64 of a key inside a larger value depends on its offset modulo 3: the middle of each of the
      // three encodings is what any of them contains, whatever surrounds the key.
      for (String prefix : List.of("", "x", "xx", "Bearer ", "Bearer x")) {
        for (Base64.Encoder encoder : List.of(Base64.getEncoder(), Base64.getUrlEncoder())) {
          String encoded = encoder.encodeToString((prefix + canary).getBytes(StandardCharsets.UTF_8));
          forms.add(encoded.substring(prefix.isEmpty() ? 0 : 12, encoded.length() - 4));
        }
      }
    }
    return forms;
  }

  private static byte[] gunzip(byte[] body) throws IOException {
    try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }
}
