package ai.gateway.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import ai.gateway.api.config.Secret;
import com.standardwebhooks.Webhook;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.DefaultAddressResolverGroup;
import io.netty.resolver.InetSocketAddressResolver;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One attempt against a local receiver (JDK HttpServer on 127.0.0.1): signature, status, redirects, body size, SSRF. */
class CallbackSenderTest {

  private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final WebhookSigner SIGNER = new WebhookSigner(new Secret(SECRET));
  private static final String BODY = "{\"type\":\"job.succeeded\",\"timestamp\":\"2026-12-04T18:00:00Z\",\"data\":{\"id\":\"x\"}}";

  private HttpServer receiver;
  private final List<Map<String, List<String>>> requests = new CopyOnWriteArrayList<>();
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final AtomicLong redirectTargetHits = new AtomicLong();

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/ok", exchange -> answer(exchange, 204, 0));
    receiver.createContext("/fail", exchange -> answer(exchange, 500, 10));
    receiver.createContext("/redirect", exchange -> {
      record(exchange);
      exchange.getResponseHeaders().add("Location", "http://127.0.0.1:" + port() + "/target");
      exchange.sendResponseHeaders(302, -1);
      exchange.close();
    });
    receiver.createContext("/target", exchange -> {
      redirectTargetHits.incrementAndGet();
      answer(exchange, 200, 0);
    });
    receiver.createContext("/huge", exchange -> {
      record(exchange);
      exchange.sendResponseHeaders(200, 0); // chunked, endless as far as the client can tell
      byte[] chunk = new byte[16 * 1024];
      try (OutputStream out = exchange.getResponseBody()) {
        for (int i = 0; i < 64 * 1024; i++) { // up to 1 GiB, until the client closes
          out.write(chunk);
        }
      } catch (IOException closedByClient) {
        // expected: the client stops reading after 64 KiB
      }
    });
    receiver.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  @Test
  void shouldSignSoThatAnIndependentStandardWebhooksImplementationVerifies() throws Exception {
    // given
    CallbackSender sender = sender(Set.of("127.0.0.1"), DefaultAddressResolverGroup.INSTANCE);
    long now = System.currentTimeMillis() / 1000;

    // when
    CallbackSender.Outcome outcome = sender.send(url("/ok"), "msg_job-1", now, BODY, SIGNER).block();

    // then
    assertThat(outcome).isEqualTo(new CallbackSender.Outcome("204", true, false));
    assertThat(bodies).containsExactly(BODY);
    Map<String, List<String>> headers = new HashMap<>();
    requests.get(0).forEach((name, values) -> headers.put(name.toLowerCase(), values));
    assertThat(headers.get("webhook-id")).containsExactly("msg_job-1");
    assertThat(headers.get("webhook-timestamp")).containsExactly(Long.toString(now));
    new Webhook(SECRET).verify(bodies.get(0), headers); // throws WebhookVerificationException when wrong
  }

  @Test
  void shouldSignWithEveryKeySoThatTheCurrentAndThePreviousSecretBothVerify() throws Exception {
    // given: a user who rotated: the new secret and the replaced one
    String previous = "whsec_" + java.util.Base64.getEncoder().encodeToString("a-replaced-32-byte-signing-key!!".getBytes(StandardCharsets.US_ASCII));
    WebhookSigner both = new WebhookSigner(List.of(WebhookSigner.keyBytes(new Secret(SECRET)),
        WebhookSigner.keyBytes(new Secret(previous))));
    long now = System.currentTimeMillis() / 1000;

    // when
    String signatures = both.sign("msg_job-2", now, BODY);

    // then: two signatures, and a receiver holding either secret accepts the message
    assertThat(signatures.split(" ")).hasSize(2).allSatisfy(signature -> assertThat(signature).startsWith("v1,"));
    Map<String, List<String>> headers = Map.of("webhook-id", List.of("msg_job-2"),
        "webhook-timestamp", List.of(Long.toString(now)), "webhook-signature", List.of(signatures));
    new Webhook(SECRET).verify(BODY, headers);
    new Webhook(previous).verify(BODY, headers);
    // and: a third secret does not
    String stranger = "whsec_" + java.util.Base64.getEncoder().encodeToString("another-32-byte-key-nobody-holds".getBytes(StandardCharsets.US_ASCII));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Webhook(stranger).verify(BODY, headers))
        .isInstanceOf(com.standardwebhooks.exceptions.WebhookVerificationException.class);
  }

  @Test
  void shouldFailAnAttemptOnAReceiverWhoseCertificateIsNotTrusted(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    // given: an HTTPS receiver with a self-signed certificate, made by the JDK's own keytool
    java.nio.file.Path store = dir.resolve("receiver.p12");
    Process keytool = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "receiver", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
        "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
    try (var in = java.nio.file.Files.newInputStream(store)) {
      keys.load(in, "changeit".toCharArray());
    }
    javax.net.ssl.KeyManagerFactory managers = javax.net.ssl.KeyManagerFactory.getInstance(
        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
    managers.init(keys, "changeit".toCharArray());
    javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
    tls.init(managers.getKeyManagers(), null, null);
    com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
    AtomicLong reached = new AtomicLong();
    https.createContext("/hook", exchange -> {
      reached.incrementAndGet();
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    https.start();
    try {
      // when: an allowlisted receiver (so only the certificate can stop it)
      CallbackSender.Outcome outcome = sender(Set.of("127.0.0.1"), DefaultAddressResolverGroup.INSTANCE)
          .send("https://127.0.0.1:" + https.getAddress().getPort() + "/hook", "id", 1, BODY, SIGNER)
          .block(Duration.ofSeconds(20));

      // then: a failed attempt (retried on the schedule), and nothing reached the receiver's handler
      assertThat(outcome).isEqualTo(new CallbackSender.Outcome(CallbackSender.UNREACHABLE, false, false));
      assertThat(reached).hasValue(0);
    } finally {
      https.stop(0);
    }
  }

  @Test
  void shouldTakeRetryAfterFromA429OrA503Only() {
    java.time.Instant now = java.time.Instant.parse("2026-12-04T12:00:00Z");
    assertThat(CallbackSender.Outcome.of(503, "7", now).retryAfter()).isEqualTo(Duration.ofSeconds(7));
    assertThat(CallbackSender.Outcome.of(429, "Fri, 04 Dec 2026 12:01:00 GMT", now).retryAfter()).isEqualTo(Duration.ofMinutes(1));
    assertThat(CallbackSender.Outcome.of(429, "999999", now).retryAfter()).isEqualTo(CallbackSender.MAX_RETRY_AFTER);
    assertThat(CallbackSender.Outcome.of(500, "7", now).retryAfter()).isNull();
    assertThat(CallbackSender.Outcome.of(503, "soon", now).retryAfter()).isNull();
    assertThat(CallbackSender.Outcome.of(503, "0", now).retryAfter()).isNull();
    assertThat(CallbackSender.Outcome.of(503, null, now)).isEqualTo(new CallbackSender.Outcome("503", false, false));
  }

  @Test
  void shouldMatchTheSpecsKnownSignature() {
    // The example of the Standard Webhooks spec / reference libraries' tests.
    WebhookSigner signer = new WebhookSigner(new Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assertThat(signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, "{\"test\": 2432232314}"))
        .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void shouldCountOnly2xxAsDeliveredAndNeverFollowARedirect() {
    CallbackSender sender = sender(Set.of("127.0.0.1"), DefaultAddressResolverGroup.INSTANCE);

    assertThat(sender.send(url("/fail"), "id", 1, BODY, SIGNER).block()).isEqualTo(new CallbackSender.Outcome("500", false, false));
    assertThat(sender.send(url("/redirect"), "id", 1, BODY, SIGNER).block()).isEqualTo(new CallbackSender.Outcome("302", false, false));
    assertThat(redirectTargetHits).hasValue(0);
  }

  @Test
  void shouldReadAtMost64KiBOfAHugeAnswerAndNotHang() {
    CallbackSender sender = sender(Set.of("127.0.0.1"), DefaultAddressResolverGroup.INSTANCE);

    CallbackSender.Outcome outcome = sender.send(url("/huge"), "id", 1, BODY, SIGNER).block(Duration.ofSeconds(10));

    assertThat(outcome).isEqualTo(new CallbackSender.Outcome("200", true, false));
  }

  @Test
  void shouldRefuseALoopbackAddressThatIsNotAllowlistedWithoutConnecting() {
    CallbackSender sender = sender(Set.of(), DefaultAddressResolverGroup.INSTANCE);

    assertThat(sender.send(url("/ok"), "id", 1, BODY, SIGNER).block()).isEqualTo(new CallbackSender.Outcome("blocked", false, false));
    assertThat(requests).isEmpty();
  }

  @Test
  void shouldRefuseANameThatResolvesToLoopbackAtDelivery() {
    // given: DNS rebinding, a public name that now answers 127.0.0.1
    AddressResolverGroup<InetSocketAddress> rebinding = fixedDns(InetAddress.getLoopbackAddress());
    String url = "http://rebind.example.com:" + port() + "/ok";

    // when / then: refused, nothing reached the receiver
    assertThat(sender(Set.of(), rebinding).send(url, "id", 1, BODY, SIGNER).block())
        .isEqualTo(new CallbackSender.Outcome("blocked", false, false));
    assertThat(requests).isEmpty();

    // and: the same resolution does connect when the name is allowlisted (the test can fail)
    assertThat(sender(Set.of("rebind.example.com"), rebinding).send(url, "id", 1, BODY, SIGNER).block())
        .isEqualTo(new CallbackSender.Outcome("204", true, false));
    assertThat(requests).hasSize(1);
  }

  private static AddressResolverGroup<InetSocketAddress> fixedDns(InetAddress answer) {
    return new AddressResolverGroup<>() {
      @Override
      protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
        return new InetSocketAddressResolver(executor, new io.netty.resolver.SimpleNameResolver<>(executor) {
          @Override
          protected void doResolve(String host, Promise<InetAddress> promise) {
            promise.setSuccess(answer);
          }

          @Override
          protected void doResolveAll(String host, Promise<List<InetAddress>> promise) {
            promise.setSuccess(List.of(answer));
          }
        });
      }
    };
  }

  private CallbackSender sender(Set<String> allowed, AddressResolverGroup<InetSocketAddress> dns) {
    return new CallbackSender(dns, allowed, Duration.ofSeconds(2),
        Duration.ofSeconds(2), Duration.ofSeconds(5), 64 * 1024);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  private int port() {
    return receiver.getAddress().getPort();
  }

  private void record(HttpExchange exchange) throws IOException {
    requests.add(Map.copyOf(exchange.getRequestHeaders()));
    bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
  }

  private void answer(HttpExchange exchange, int status, int length) throws IOException {
    record(exchange);
    exchange.sendResponseHeaders(status, length == 0 ? -1 : length);
    if (length > 0) {
      exchange.getResponseBody().write(new byte[length]);
    }
    exchange.close();
  }
}
