package ai.gateway.api.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import ai.gateway.api.GatewayApplication;
import ai.gateway.api.TestCredentials;
import ai.gateway.api.TestPostgres;
import ai.gateway.api.generate.JobIds;
import ai.gateway.api.generate.TestWorker;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.api.TestHttp;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Reply routing across gateway instances: three Spring contexts in this JVM (A, B, then C) sharing one
 * broker (3 partitions of {@code ai.replies}), one database and {@link TestWorker}. Each instance reads only
 * the partition it leased; streams through each arrive complete; C joining and B leaving do not disturb A's
 * live streams (judged from the client's own arrival times); and a job streamed through A is replayed
 * through C from the middle.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplyRoutingIT {

  private static final String USER = "routing-it-user";
  private static final String BEARER = "Bearer " + TestCredentials.jwt(USER);
  private static final Pattern JOB_ID = Pattern.compile("\"jobId\":\"([^\"]+)\"");
  private static final Duration MAX_PAUSE = Duration.ofMillis(500);
  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() { };

  private static EmbeddedKafkaKraftBroker broker;
  private static TestPostgres.Database database;
  private static ConfigurableApplicationContext a;
  private static @Nullable ConfigurableApplicationContext b;
  private static @Nullable ConfigurableApplicationContext c;
  private static TestWorker worker;

  @BeforeAll
  static void start() {
    broker = new EmbeddedKafkaKraftBroker(1, 3);
    broker.afterPropertiesSet();
    database = TestPostgres.newDatabase();
    a = gateway("gw-a");
    b = gateway("gw-b");
    worker = new TestWorker(broker.getBrokersAsString());
    TestCredentials.createUser(TestHttp.bindToServer().baseUrl(baseUrl(a)).build(), USER, "pro");
  }

  private static ConfigurableApplicationContext gateway(String instanceId) {
    // Command-line arguments: they win over application.yml (builder "properties" are only defaults).
    Map<String, String> settings = Map.ofEntries(
        Map.entry("server.port", "0"),
        Map.entry("spring.kafka.bootstrap-servers", broker.getBrokersAsString()),
        Map.entry("spring.r2dbc.url", database.r2dbcUrl()),
        Map.entry("spring.r2dbc.username", TestPostgres.USER),
        Map.entry("spring.r2dbc.password", TestPostgres.PASSWORD),
        Map.entry("spring.flyway.url", database.jdbcUrl()),
        Map.entry("spring.flyway.user", TestPostgres.USER),
        Map.entry("spring.flyway.password", TestPostgres.PASSWORD),
        Map.entry("gateway.instance-id", instanceId),
        Map.entry("gateway.deadline", "30s"),
        // A list on the command line replaces the profile's windows: one roomy window, the limits have their own tests.
        Map.entry("gateway.rate-limit.windows[0].period", "1s"),
        Map.entry("gateway.rate-limit.windows[0].limit", "100000"));
    return new SpringApplicationBuilder(GatewayApplication.class, OwnNettyResources.class)
        .profiles("test")
        .run(settings.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
  }

  /**
   * Boot's default resource factory runs every server of the JVM on Reactor Netty's global event loops and
   * disposes them when its context closes: closing B would cut A's connections. One gateway per JVM in
   * production; here each context gets loops of its own.
   */
  @Configuration(proxyBeanMethods = false)
  static class OwnNettyResources {

    @Bean
    ReactorResourceFactory reactorResourceFactory() {
      ReactorResourceFactory factory = new ReactorResourceFactory();
      factory.setUseGlobalResources(false);
      return factory;
    }
  }

  @AfterAll
  static void stop() throws InterruptedException {
    for (ConfigurableApplicationContext context : new ConfigurableApplicationContext[] {a, b, c}) {
      if (context != null) {
        context.close();
      }
    }
    if (worker != null) {
      worker.close();
    }
    broker.destroy();
  }

  @Test
  @Order(1)
  void shouldGiveEachInstanceItsOwnPartitionAndReadOnlyItsOwnReplies() {
    // given
    KafkaReplyStream repliesA = replies(a);
    KafkaReplyStream repliesB = replies(b);
    long readByA = repliesA.recordsRead();
    long readByB = repliesB.recordsRead();

    // when: one stream through each instance, at the same time
    List<Stream> streams = Flux.merge(stream(a, 3), stream(b, 3)).collectList().block(Duration.ofSeconds(20));

    // then: complete
    assertThat(streams).hasSize(2).allSatisfy(ReplyRoutingIT::assertComplete);
    // and: each consumer is assigned exactly its own partition, a different one
    assertThat(repliesA.assignment()).hasSize(1);
    assertThat(repliesB.assignment()).hasSize(1);
    assertThat(repliesA.assignment()).doesNotContainAnyElementsOf(repliesB.assignment());
    assertThat(holders()).containsEntry("gw-a", partitionOf(repliesA)).containsEntry("gw-b", partitionOf(repliesB));
    // and: each polled its own job's 4 replies and not one of the other's
    assertThat(repliesA.recordsRead() - readByA).isEqualTo(4);
    assertThat(repliesB.recordsRead() - readByB).isEqualTo(4);
  }

  @Test
  @Order(2)
  void shouldKeepLiveStreamsWholeAndFlowingWhileAnInstanceJoinsAndAnotherLeaves() {
    // given: long streams on A (10 s) and a shorter one on B (4 s), chunks every 50 ms
    List<Mono<Stream>> onA = IntStream.range(0, 2).mapToObj(i -> stream(a, 200).cache()).toList();
    Mono<Stream> onB = stream(b, 80).cache();
    onA.forEach(Mono::subscribe);
    onB.subscribe();

    // when: C joins, then B leaves gracefully (its server waits for its open stream), while A's streams run
    c = gateway("gw-c");
    ConfigurableApplicationContext leaving = b;
    b = null;
    leaving.close();
    long leftAt = System.nanoTime();

    // then: the three instances held three different partitions
    assertThat(holders()).containsOnlyKeys("gw-a", "gw-c");
    assertThat(Set.of(partitionOf(replies(a)), partitionOf(replies(c)))).hasSize(2);
    // and: B's stream ended whole before B was gone
    assertComplete(onB.block(Duration.ofSeconds(5)));
    // and: A's streams whole, no gap, no duplicate, never paused over 500 ms, still flowing after B left
    for (Mono<Stream> stream : onA) {
      Stream seen = stream.block(Duration.ofSeconds(30));
      assertComplete(seen);
      String timing = "client's longest pause " + seen.maxPause().toMillis() + " ms, worker's own " + seen.maxWorkerPause().toMillis()
          + " ms, longest delivery " + seen.maxDeliveryTime().toMillis() + " ms";
      System.out.println("stream on A while C joined and B left: " + timing);
      assertThat(seen.maxDeliveryTime()).as(timing).isLessThan(MAX_PAUSE);
      assertThat(seen.maxPause().minus(seen.maxWorkerPause())).as(timing).isLessThan(MAX_PAUSE);
      assertThat(seen.arrivals().get(seen.arrivals().size() - 1)).isGreaterThan(leftAt);
    }
  }

  @Test
  @Order(3)
  void shouldReplayAJobStreamedThroughOneInstanceFromTheMiddleThroughAnother() {
    // given: C, which reads another partition than the job's
    if (c == null) {
      c = gateway("gw-c");
    }
    List<String> ids = new ArrayList<>();
    Flux<ServerSentEvent<String>> live = events(a, 40).filter(event -> event.event() != null).cache();
    ServerSentEvent<String> first = live.blockFirst(Duration.ofSeconds(10));
    String jobId = jobId(first);
    assertThat(ReplyPartitions.of(jobId, 3)).isEqualTo(partitionOf(replies(a))).isNotEqualTo(partitionOf(replies(c)));

    // when: while the job still runs, replayed through C after the client's third event
    live.take(5).blockLast(Duration.ofSeconds(10));
    List<GenerationEvent> replayed = replies(c).replay(jobId, JobIds.createdAt(jobId), new EventPosition(1, 3))
        .doOnNext(event -> ids.add(EventPosition.of(event).toString()))
        .collectList().block(Duration.ofSeconds(20));

    // then: every event after 1.3, in order, once, through the terminal one
    assertThat(ids).containsExactlyElementsOf(IntStream.rangeClosed(4, 41).mapToObj(seq -> "1." + seq).toList());
    assertThat(replayed).allMatch(event -> event.getJobId().equals(jobId));
    assertThat(replayed.get(replayed.size() - 1).getType()).isEqualTo(GenerationEventType.DONE);
    assertThat(live.blockLast(Duration.ofSeconds(10)).event()).isEqualTo("done");
    // and: a client that had already seen the end gets nothing more, at once
    assertThat(replies(c).replay(jobId, JobIds.createdAt(jobId), new EventPosition(1, 41)).collectList()
        .block(Duration.ofSeconds(10))).isEmpty();
  }

  /** One stream as the client saw it: its job, the events' ids and types and when each arrived (nanoTime). */
  private record Stream(String jobId, List<String> ids, List<String> types, List<Long> arrivals) {

    Duration maxPause() {
      long max = 0;
      for (int i = 1; i < arrivals.size(); i++) {
        max = Math.max(max, arrivals.get(i) - arrivals.get(i - 1));
      }
      return Duration.ofNanos(max);
    }

    /** The worker's own longest pause between two events (it shares this JVM's 2 cores with three gateways). */
    Duration maxWorkerPause() {
      long max = 0;
      for (int i = 1; i < ids.size(); i++) {
        max = Math.max(max, sent(i) - sent(i - 1));
      }
      return Duration.ofNanos(max);
    }

    /**
     * The longest any event took from the worker's send to the client (same JVM, same clock): a pause anywhere
     * in between (broker, reply consumer, gateway, HTTP) shows here, while a pause of the whole JVM or of the
     * stub worker itself does not, since it delays the sending as much as the arrival.
     */
    Duration maxDeliveryTime() {
      long max = 0;
      for (int i = 0; i < ids.size(); i++) {
        max = Math.max(max, arrivals.get(i) - sent(i));
      }
      return Duration.ofNanos(max);
    }

    private long sent(int index) {
      Long sent = worker.sentAt.get(jobId + "/" + ids.get(index));
      assertThat(sent).as("send time of %s/%s", jobId, ids.get(index)).isNotNull();
      return sent;
    }
  }

  private static void assertComplete(Stream stream) {
    int chunks = stream.ids().size() - 1;
    assertThat(stream.ids()).containsExactlyElementsOf(IntStream.rangeClosed(1, chunks + 1).mapToObj(seq -> "1." + seq).toList());
    assertThat(stream.types().subList(0, chunks)).containsOnly("chunk");
    assertThat(stream.types().get(chunks)).isEqualTo("done");
  }

  private record Arrival(ServerSentEvent<String> event, long at) {
  }

  private static Mono<Stream> stream(ConfigurableApplicationContext instance, int chunks) {
    return events(instance, chunks)
        .filter(event -> event.event() != null) // keep-alive comments
        .map(event -> new Arrival(event, System.nanoTime()))
        .collectList()
        .map(seen -> new Stream(jobId(seen.get(0).event()),
            seen.stream().map(arrival -> arrival.event().id()).toList(),
            seen.stream().map(arrival -> arrival.event().event()).toList(),
            seen.stream().map(Arrival::at).toList()));
  }

  private static Flux<ServerSentEvent<String>> events(ConfigurableApplicationContext instance, int chunks) {
    return TestHttp.webClient(baseUrl(instance)).post().uri("/v1/generate/stream")
        .header(HttpHeaders.AUTHORIZATION, BEARER)
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.TEXT_EVENT_STREAM)
        .bodyValue("{\"prompt\":\"scenario:ticks:" + chunks + "\"}")
        .retrieve()
        .bodyToFlux(SSE);
  }

  private static String jobId(@Nullable ServerSentEvent<String> event) {
    assertThat(event).isNotNull();
    Matcher matcher = JOB_ID.matcher(String.valueOf(event.data()));
    assertThat(matcher.find()).isTrue();
    return matcher.group(1);
  }

  private static KafkaReplyStream replies(@Nullable ConfigurableApplicationContext instance) {
    assertThat(instance).isNotNull();
    return instance.getBean(KafkaReplyStream.class);
  }

  private static int partitionOf(KafkaReplyStream replies) {
    Set<TopicPartition> assignment = replies.assignment();
    assertThat(assignment).hasSize(1);
    return assignment.iterator().next().partition();
  }

  /** Live leases by instance. */
  private static Map<String, Integer> holders() {
    return a.getBean(org.springframework.r2dbc.core.DatabaseClient.class)
        .sql("select instance_id, partition from reply_partition_leases where expires_at > clock_timestamp()")
        .map((row, meta) -> Map.entry(row.get("instance_id", String.class), row.get("partition", Integer.class)))
        .all().collectMap(Map.Entry::getKey, Map.Entry::getValue).block(Duration.ofSeconds(5));
  }

  private static String baseUrl(ConfigurableApplicationContext context) {
    return "http://localhost:" + ((WebServerApplicationContext) context).getWebServer().getPort();
  }
}
