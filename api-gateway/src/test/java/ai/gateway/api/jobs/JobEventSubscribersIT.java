package ai.gateway.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestHttp;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.access.StreamSlots;
import org.apache.kafka.common.utils.Utils;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * Many subscribers of {@code GET /v1/jobs/{id}/events} on one gateway, real broker and PostgreSQL: they share
 * one channel per job (docs/jobs.md, "Many subscribers"), and each still sees every event once, in order, through
 * the terminal event; a late subscriber gets the history, {@code Last-Event-ID} resumes; every open events stream
 * holds one of its user's stream slots; the instance's reply tail reads the partitions of those jobs, and none
 * once their subscribers are gone.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "gateway.rate-limit.windows[0].period=1s", "gateway.rate-limit.windows[0].limit=100000",
    "gateway.rate-limit.max-open-streams=20", "gateway.replies.max-replays=2"})
@ActiveProfiles("test")
@DirtiesContext
class JobEventSubscribersIT {

  private static final TestPostgres.Database DATABASE = TestPostgres.newDatabase();
  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() { };
  private static final int USERS = 10;
  private static final int EARLY = 18; // + one late subscriber + one resuming: the user's 20 stream slots
  private static final int TICKS = 60; // 50 ms apart: the jobs run 3 s
  private static EmbeddedKafkaKraftBroker broker;
  private static @Nullable AsyncTestWorker worker;
  private static final Set<String> users = new HashSet<>();
  private static final ConnectionProvider CONNECTIONS = ConnectionProvider.builder("subscribers-it")
      .maxConnections(300).pendingAcquireMaxCount(1_000).build();

  @LocalServerPort
  int port;

  @Autowired
  JsonMapper json;

  @Autowired
  StreamSlots slots;

  @Autowired
  @Qualifier("replyTailHealthIndicator")
  HealthIndicator replyTail;

  @BeforeAll
  static void startBroker() {
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.afterPropertiesSet();
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", () -> broker.getBrokersAsString());
    DATABASE.register(registry);
  }

  @AfterAll
  static void stopBroker() throws InterruptedException {
    if (worker != null) {
      worker.close();
      worker = null;
    }
    broker.destroy();
    CONNECTIONS.dispose();
  }

  @BeforeEach
  void setUp() {
    if (worker == null) {
      worker = new AsyncTestWorker(broker.getBrokersAsString());
    }
  }

  @Test
  void shouldGiveEachOf200SubscribersOfRunningJobsEveryEventOnceInOrderWithHistoryAndResume() {
    // given: ten users, each with a job that streams 60 chunks 50 ms apart
    List<String> owners = IntStream.range(0, USERS).mapToObj(i -> user("subs-it-" + i)).toList();
    List<String> jobs = owners.stream().map(owner -> accept(owner, "{\"prompt\":\"scenario:ticks:" + TICKS + "\"}")).toList();

    // when: 18 subscribers per job at once while it runs
    List<Mono<List<ServerSentEvent<String>>>> early = new ArrayList<>();
    List<List<ServerSentEvent<String>>> seenByFirst = new ArrayList<>();
    for (int u = 0; u < USERS; u++) {
      List<ServerSentEvent<String>> first = new CopyOnWriteArrayList<>();
      seenByFirst.add(first);
      for (int s = 0; s < EARLY; s++) {
        early.add(events(owners.get(u), jobs.get(u), null).doOnNext(s == 0 ? first::add : event -> { }).collectList().cache());
      }
    }
    early.forEach(Mono::subscribe);
    // and: once each job is under way, a late subscriber and one resuming after 1.5
    await().atMost(Duration.ofSeconds(20)).until(() -> seenByFirst.stream().allMatch(first -> first.size() >= 10));
    List<Integer> tailPartitionsWhileSubscribed = tailPartitions();
    List<Mono<List<ServerSentEvent<String>>>> late = new ArrayList<>();
    List<Mono<List<ServerSentEvent<String>>>> resumed = new ArrayList<>();
    for (int u = 0; u < USERS; u++) {
      late.add(events(owners.get(u), jobs.get(u), null).collectList().cache());
      resumed.add(events(owners.get(u), jobs.get(u), "1.5").collectList().cache());
    }

    // then: every subscriber sees every event exactly once, in order, through done
    List<String> all = IntStream.rangeClosed(1, TICKS + 1).mapToObj(seq -> "1." + seq).toList();
    for (Mono<List<ServerSentEvent<String>>> subscriber : concat(early, late)) {
      List<ServerSentEvent<String>> seen = subscriber.block(Duration.ofSeconds(30));
      assertThat(seen).extracting(ServerSentEvent::id).containsExactlyElementsOf(all);
      assertThat(seen.get(seen.size() - 1).event()).isEqualTo("done");
    }
    // and: a resumed one from the event after its Last-Event-ID
    for (Mono<List<ServerSentEvent<String>>> subscriber : resumed) {
      List<ServerSentEvent<String>> seen = subscriber.block(Duration.ofSeconds(30));
      assertThat(seen).extracting(ServerSentEvent::id).containsExactlyElementsOf(all.subList(5, all.size()));
    }
    // and: every slot is given back
    await().atMost(Duration.ofSeconds(10)).until(() -> owners.stream().allMatch(owner -> slots.openStreams(owner) == 0));
    // and: the reply tail read only the jobs' partitions, and reads none once their subscribers are gone
    assertThat(tailPartitionsWhileSubscribed).containsAll(jobs.stream().map(JobEventSubscribersIT::replyPartition).toList());
    await().atMost(Duration.ofSeconds(10)).until(() -> tailPartitions().isEmpty());
  }

  /** The partitions the reply tail reads now, from its health details. */
  @SuppressWarnings("unchecked")
  private List<Integer> tailPartitions() {
    Health health = replyTail.health();
    assertThat(health).isNotNull();
    return (List<Integer>) health.getDetails().get("partitions");
  }

  /** Where the worker's replies for the job land: murmur2 of the key, as Kafka's default partitioner (3 partitions here). */
  private static int replyPartition(String jobId) {
    return Utils.toPositive(Utils.murmur2(jobId.getBytes(StandardCharsets.UTF_8))) % 3;
  }

  @Test
  void shouldRefuseAnEventsStreamBeyondTheUsersOpenStreamsWith429AndGiveTheSlotsBack() throws Exception {
    // given: a running job with 20 subscribers of its owner
    String owner = user("subs-it-slots");
    String id = accept(owner, "{\"prompt\":\"scenario:hold\"}");
    await().atMost(Duration.ofSeconds(10)).until(() -> worker().holds(id));
    List<Mono<List<ServerSentEvent<String>>>> open = IntStream.range(0, 20)
        .mapToObj(i -> events(owner, id, null).collectList().cache()).toList();
    open.forEach(Mono::subscribe);
    await().atMost(Duration.ofSeconds(10)).until(() -> slots.openStreams(owner) == 20);

    // when / then: a 21st is 429 RATE_LIMITED, with problem details
    var refused = TestHttp.bindToServer().baseUrl("http://localhost:" + port).build()
        .get().uri("/v1/jobs/{id}/events", id).header(HttpHeaders.AUTHORIZATION, bearer(owner))
        .accept(MediaType.TEXT_EVENT_STREAM).exchange()
        .expectStatus().isEqualTo(429)
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().returnResult().getResponseBodyContent();
    assertThat(json.readTree(refused).get("code").asString()).isEqualTo("RATE_LIMITED");

    // and: when the job ends, the 20 streams end and give their slots back
    worker().release(id);
    for (Mono<List<ServerSentEvent<String>>> subscriber : open) {
      assertThat(subscriber.block(Duration.ofSeconds(20))).last().extracting(ServerSentEvent::event).isEqualTo("done");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> slots.openStreams(owner) == 0);
  }

  // --- helpers

  private Flux<ServerSentEvent<String>> events(String user, String id, @Nullable String lastEventId) {
    WebClient client = WebClient.builder().clientConnector(TestHttp.connector(CONNECTIONS))
        .baseUrl("http://localhost:" + port).build();
    return client.get().uri("/v1/jobs/{id}/events", id)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .headers(headers -> {
          if (lastEventId != null) {
            headers.set("Last-Event-ID", lastEventId);
          }
        })
        .accept(MediaType.TEXT_EVENT_STREAM)
        .retrieve().bodyToFlux(SSE)
        .filter(event -> event.event() != null);
  }

  private static <T> List<T> concat(List<T> first, List<T> second) {
    List<T> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  private String user(String id) {
    if (users.add(id + "@" + port)) {
      TestCredentials.createUser(TestHttp.bindToServer().baseUrl("http://localhost:" + port).build(), id, "pro");
    }
    return id;
  }

  private static String bearer(String user) {
    return "Bearer " + TestCredentials.jwt(user);
  }

  private String accept(String user, String body) {
    byte[] answer = TestHttp.bindToServer().baseUrl("http://localhost:" + port).build()
        .post().uri("/v1/jobs").header(HttpHeaders.AUTHORIZATION, bearer(user)).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body).exchange().expectStatus().isAccepted().expectBody().returnResult().getResponseBodyContent();
    return json.readTree(answer).get("id").asString();
  }

  private static AsyncTestWorker worker() {
    AsyncTestWorker current = worker;
    if (current == null) {
      throw new IllegalStateException("no worker");
    }
    return current;
  }
}
