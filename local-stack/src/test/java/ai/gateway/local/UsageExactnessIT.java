package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageOutcome;
import ai.gateway.simulator.LedgerEntry;
import ai.gateway.simulator.SimulatorConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proof of exactness (issue 6): a few thousand generate calls through the real services while the
 * aggregator and the worker are killed with {@code kill -9} and PostgreSQL is stopped and started again,
 * then a replay of {@code ai.usage} from offset zero. Afterwards PostgreSQL must hold exactly one row per
 * distinct usage event on {@code ai.usage}, daily totals equal to a recount of those rows, one usage event
 * per provider call the simulator served, except at most the calls the worker's crash cut off, and no usage
 * event for a call that never reached the simulator.
 *
 * <p>"In flight" at the worker's kill is seen from the worker: a call is in flight from its start until its
 * usage record has left the worker, which under load is a few hundred milliseconds after the simulator's
 * last frame (the lag is measured in the run and printed). Counting only the calls open at the simulator
 * when the signal goes out undercounts: runs lost the usage of calls the simulator had finished 10 to
 * 40 ms before the signal, with none open at it.
 *
 * <p>Rate limits are out of the way (one window of 100,000 a second from the environment, which replaces
 * the configured list), so every call is one job. The services' consumer-group session timeout is 10 s
 * instead of Kafka's 45 s: a member killed with {@code kill -9} never leaves its group, so its partitions
 * wait for the session to expire; this only shortens that wait.
 */
class UsageExactnessIT {

  private static final int JOBS = 2_400;
  private static final int CLIENTS = 24;
  private static final int USERS = 6;
  private static final List<String> PROVIDERS = List.of("openai", "anthropic", "gemini");
  /** {@code usage.application-id} in usage-aggregator's application.yml: the Streams consumer group. */
  private static final String STREAMS_GROUP = "usage-aggregator";
  private static final String USAGE = Topics.USAGE.defaultName();
  private static final Duration PATIENCE = Duration.ofSeconds(90);

  private static LocalStack stack;
  private static final List<String> keys = new ArrayList<>();

  @BeforeAll
  static void startStack() {
    Map<String, String> env = new HashMap<>();
    env.put("GATEWAY_RATELIMIT_WINDOWS_0_PERIOD", "1s");
    env.put("GATEWAY_RATELIMIT_WINDOWS_0_LIMIT", "100000");
    env.put("SPRING_KAFKA_PROPERTIES_SESSION_TIMEOUT_MS", "10000");
    env.put("SPRING_KAFKA_PROPERTIES_HEARTBEAT_INTERVAL_MS", "2000");
    stack = LocalStack.builder()
        .env(env)
        // About 10 ms a call: the load is many short calls, so a crash cuts off as few as the concurrency allows.
        .simulator(SimulatorConfig.defaults().withTimeToFirstToken(Duration.ofMillis(5)).withTokensPerSecond(2_000)
            .withAnswerTokens(12))
        .start();
    for (int user = 0; user < USERS; user++) {
      keys.add(stack.apiKey("exact-user-" + user, "pro"));
    }
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void shouldCountEveryServedCallExactlyOnceThroughCrashesAnOutageAndAReplay() throws Exception {
    long started = System.nanoTime();
    Load load = new Load();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    Map<String, Integer> doneAtFault = new LinkedHashMap<>();
    Kill workerKill;
    try {
      for (int client = 0; client < CLIENTS; client++) {
        clients.execute(load::run);
      }

      // the aggregator crashes mid-load; it comes back while the load goes on (and the worker crashes)
      awaitDone(load, JOBS / 10);
      doneAtFault.put("aggregator kill -9", load.done.get());
      stack.service(Service.AGGREGATOR).kill();
      CompletableFuture<ServiceProcess> aggregatorBack = CompletableFuture.supplyAsync(
          () -> stack.restart(Service.AGGREGATOR));

      // the worker crashes: the calls it has open at the simulator will never be reported
      awaitDone(load, JOBS * 3 / 10);
      doneAtFault.put("worker kill -9", load.done.get());
      long openAtSignal = stack.simulator().ledger().entries().stream().filter(call -> !call.ended()).count();
      Instant signalled = Instant.now();
      stack.service(Service.WORKER).kill();
      workerKill = new Kill(signalled, Instant.now(), openAtSignal);
      stack.restart(Service.WORKER);
      aggregatorBack.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

      // PostgreSQL goes away and comes back on the same port and data
      awaitDone(load, JOBS * 55 / 100);
      doneAtFault.put("PostgreSQL stop", load.done.get());
      int unavailableBefore = load.unavailable.get();
      stack.postgres().stop();
      try {
        await().atMost(PATIENCE).untilAsserted(() -> {
          assertThat(load.unavailable.get()).as("gateway answers 503 during the outage")
              .isGreaterThanOrEqualTo(unavailableBefore + 20);
          assertThat(Http.get(stack.service(Service.AGGREGATOR).baseUrl() + "/actuator/health").statusCode())
              .as("the aggregator's health during the outage").isEqualTo(503);
        });
      } finally {
        stack.postgres().start();
      }
      int succeededAtRestart = load.succeeded.get();
      await().atMost(PATIENCE).until(() -> load.succeeded.get() >= succeededAtRestart + 20);
      doneAtFault.put("PostgreSQL back, load recovered", load.done.get());

      await().atMost(PATIENCE).until(() -> load.finished.get() == CLIENTS);
    } finally {
      load.stop = true;
      clients.shutdownNow();
    }
    assertThat(doneAtFault.values()).as("every fault struck while the load ran").allMatch(done -> done < JOBS);
    assertThat(stack.service(Service.GATEWAY).isAlive()).isTrue();

    // the system settles: no provider call open, nothing more arriving on ai.usage
    await().atMost(PATIENCE).until(() -> stack.simulator().ledger().entries().stream().allMatch(LedgerEntry::ended));
    AtomicLong lastEnd = new AtomicLong(-1);
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(500)).until(() -> {
      long end = sum(endOffsets(USAGE));
      return lastEnd.getAndSet(end) == end;
    });
    awaitPostgresCaughtUp();
    Snapshot beforeReplay = snapshot();

    // replay: the aggregator reads ai.usage again from offset zero
    stack.service(Service.AGGREGATOR).close();
    Map<TopicPartition, Long> usageEnd = endOffsets(USAGE);
    long ledgerBefore = sum(endOffsets(LocalStack.USAGE_LEDGER_TOPIC));
    long totalsBefore = sum(endOffsets(Topics.USAGE_TOTALS.defaultName()));
    try (Admin admin = admin()) {
      Map<TopicPartition, OffsetAndMetadata> zero = new HashMap<>();
      usageEnd.keySet().forEach(partition -> zero.put(partition, new OffsetAndMetadata(0)));
      // accepted once the stopped instance has left the group
      await().atMost(PATIENCE).ignoreExceptions().untilAsserted(() ->
          admin.alterConsumerGroupOffsets(STREAMS_GROUP, zero).all().get(10, TimeUnit.SECONDS));
      assertThat(committed(admin, STREAMS_GROUP, USAGE)).as("reset to zero").allSatisfy(
          (partition, offset) -> assertThat(offset).isZero());
    }
    stack.restart(Service.AGGREGATOR);
    try (Admin admin = admin()) {
      await().atMost(PATIENCE).untilAsserted(() ->
          assertThat(committed(admin, STREAMS_GROUP, USAGE)).as("the replay has read all of ai.usage")
              .isEqualTo(usageEnd));
    }
    await().atMost(PATIENCE).during(Duration.ofSeconds(3)).untilAsserted(() ->
        assertThat(snapshot()).as("PostgreSQL after the replay").isEqualTo(beforeReplay));
    assertThat(sum(endOffsets(LocalStack.USAGE_LEDGER_TOPIC))).as("ledger records written by the replay")
        .isEqualTo(ledgerBefore);
    assertThat(sum(endOffsets(Topics.USAGE_TOTALS.defaultName()))).as("totals records written by the replay")
        .isEqualTo(totalsBefore);

    // the evidence
    List<TimedEvent> records = readUsageTopic();
    Map<String, UsageEvent> events = distinctById(records);
    Map<String, Row> rows = usageRows();
    List<LedgerEntry> calls = stack.simulator().ledger().entries();

    // (a) one ai_usage row per distinct eventId on ai.usage: the same ids, with the event's values
    assertThat(rows.keySet()).as("ai_usage event ids = distinct eventIds on ai.usage")
        .hasSize(events.size()).isEqualTo(events.keySet());
    assertThat(rows).isEqualTo(events.values().stream().collect(Collectors.toMap(UsageEvent::getEventId, Row::of)));

    // (b) the daily totals are exactly a recount of ai_usage (and of the events themselves)
    Set<DailyTotal> totals = dailyTotals();
    assertThat(totals).as("ai_usage_daily_totals = recount of ai_usage").isEqualTo(recountInPostgres());
    assertThat(totals).as("ai_usage_daily_totals = recount of ai.usage").isEqualTo(recount(events.values()));

    // (c) every call the simulator served with its usage has exactly one usage event: with its tokens, or
    // estimated when the worker ended the attempt (deadline, cancel) before it read the provider's usage;
    // and no job has more usage events than provider calls
    Map<String, List<LedgerEntry>> callsByJob = calls.stream().filter(call -> call.clientRequestId() != null)
        .collect(Collectors.groupingBy(LedgerEntry::clientRequestId));
    Map<String, List<UsageEvent>> eventsByJob = events.values().stream()
        .collect(Collectors.groupingBy(UsageEvent::getJobId));
    List<String> moreEventsThanCalls = eventsByJob.entrySet().stream()
        .filter(job -> job.getValue().size() > callsByJob.getOrDefault(job.getKey(), List.of()).size())
        .map(Map.Entry::getKey).sorted().toList();
    List<String> eventsWithoutCall = new ArrayList<>();
    List<LedgerEntry> servedWithoutEvent = new ArrayList<>();
    List<LedgerEntry> servedButCutShort = new ArrayList<>();
    Set<String> jobs = new HashSet<>(callsByJob.keySet());
    jobs.addAll(eventsByJob.keySet());
    for (String job : jobs) {
      List<UsageEvent> exact = new ArrayList<>();
      List<UsageEvent> cutShort = new ArrayList<>();
      for (UsageEvent event : eventsByJob.getOrDefault(job, List.of())) {
        if (!event.getEstimated()) {
          exact.add(event);
        } else if (event.getOutcome() == UsageOutcome.TIMED_OUT || event.getOutcome() == UsageOutcome.CANCELLED) {
          cutShort.add(event);
        }
      }
      List<LedgerEntry> unmatched = new ArrayList<>(callsByJob.getOrDefault(job, List.of()).stream()
          .filter(UsageExactnessIT::served).toList());
      // The simulator answers a prompt the same way every time, so a job run again after the worker's kill
      // has two served calls with the same tokens: an event belongs to the last call that ended before it,
      // not to whichever call is listed first (that put the loss on the rerun instead of the killed attempt).
      exact.sort(Comparator.comparing(UsageEvent::getOccurredAt));
      for (UsageEvent event : List.copyOf(exact)) {
        LedgerEntry call = unmatched.stream().filter(served -> sameTokens(served, event))
            .filter(served -> !served.finishedAt().truncatedTo(ChronoUnit.MILLIS).isAfter(event.getOccurredAt()))
            .max(Comparator.comparing(LedgerEntry::finishedAt))
            .orElseGet(() -> unmatched.stream().filter(served -> sameTokens(served, event)).findFirst().orElse(null));
        if (call != null) {
          unmatched.remove(call);
          exact.remove(event);
        }
      }
      for (LedgerEntry call : unmatched) {
        // the worker gave up on this call after the simulator's last frame: its event comes later
        Instant finished = call.finishedAt().truncatedTo(ChronoUnit.MILLIS);
        UsageEvent cut = cutShort.stream().filter(event -> !event.getOccurredAt().isBefore(finished))
            .min(Comparator.comparing(UsageEvent::getOccurredAt)).orElse(null);
        if (cut != null) {
          cutShort.remove(cut);
          servedButCutShort.add(call);
        } else {
          servedWithoutEvent.add(call);
        }
      }
      exact.forEach(event -> eventsWithoutCall.add(event.getEventId()));
    }
    long served = calls.stream().filter(UsageExactnessIT::served).count();
    List<Published> published = published(records, calls);
    Duration lagAtKill = workerKill.publishLag(published);
    List<LedgerEntry> inFlightAtKill = calls.stream().filter(call -> workerKill.inFlight(call, lagAtKill)).toList();

    System.out.printf("""
        UsageExactnessIT: %d requests in %d s with %d clients, %d users; responses %s; 503 during the outage: %d
          faults at (requests done): %s
          simulator: %d calls (%d without X-Client-Request-Id), %d served with usage, %d aborted; \
        ai.usage: %d records, %d distinct events (%d duplicates); ai_usage: %d rows; daily totals: %d rows
          worker's publish lag (its usage record's timestamp - the simulator's last frame), ms: %s; \
        largest in the %d s before the kill: %d ms
          worker kill -9 at %s, dead at %s: %d calls open at the signal; %d in flight (open from the signal - \
        publish lag - %d ms to the death)
          (c) served calls with an estimated usage event (the worker's deadline or a cancel cut them short after \
        the simulator's last frame): %d
          (d) served calls without a usage event: %d; bound = calls in flight at the worker's kill -9: %d%n""",
        JOBS, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), CLIENTS, USERS, new TreeMap<>(load.outcomes),
        load.unavailable.get(), doneAtFault, calls.size(), calls.stream().filter(call -> call.clientRequestId() == null)
            .count(), served, calls.stream().filter(LedgerEntry::aborted).count(), records.size(), events.size(),
        records.size() - events.size(), rows.size(), totals.size(), lagStatistics(published),
        Kill.LAG_WINDOW.toSeconds(), lagAtKill.toMillis(), workerKill.signalled(), workerKill.dead(),
        workerKill.openAtSignal(), inFlightAtKill.size(), Kill.ACK_MARGIN.toMillis(), servedButCutShort.size(),
        servedWithoutEvent.size(), inFlightAtKill.size());
    for (LedgerEntry call : servedWithoutEvent) {
      System.out.printf("  served without usage event: job %s, %s, started %s, finished %s%n",
          call.clientRequestId(), call.callId(), call.startedAt(), call.finishedAt());
    }
    for (LedgerEntry call : servedButCutShort) {
      System.out.printf("  served, usage estimated: job %s, %s, finished %s; event %s%n", call.clientRequestId(),
          call.callId(), call.finishedAt(), eventsByJob.get(call.clientRequestId()));
    }
    for (String job : moreEventsThanCalls.subList(0, Math.min(10, moreEventsThanCalls.size()))) {
      System.out.printf("  job %s has more usage events than provider calls:%n", job);
      eventsByJob.get(job).forEach(event -> System.out.printf("    event %s%n", event));
      callsByJob.getOrDefault(job, List.of()).forEach(call -> System.out.printf("    call %s%n", call));
    }

    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(served).as("calls served").isGreaterThan(JOBS / 2);
    // a usage event for a call no provider received (not even an aborted one) is usage that never happened
    softly.assertThat(moreEventsThanCalls).as("jobs with more usage events than provider calls").isEmpty();
    softly.assertThat(eventsWithoutCall)
        .as("exact usage events that no served call with the same tokens accounts for").isEmpty();
    // (d) usage is lost only for calls the worker's crash cut off
    softly.assertThat(servedWithoutEvent).as("served calls without a usage event are calls in flight at the kill")
        .allMatch(call -> workerKill.inFlight(call, lagAtKill));
    softly.assertThat(servedWithoutEvent.size()).as("served calls without a usage event")
        .isLessThanOrEqualTo(inFlightAtKill.size());
    softly.assertAll();
  }

  /**
   * The worker's kill -9: when the signal was sent, when the process was reaped, and how many simulator calls
   * were open (started, not ended) at the signal.
   */
  record Kill(Instant signalled, Instant dead, long openAtSignal) {
    /** How far back before the kill the worker's publish lag is measured. */
    static final Duration LAG_WINDOW = Duration.ofSeconds(10);
    /** A record is stamped when the worker's producer takes it; the broker acknowledges it a little later. */
    static final Duration ACK_MARGIN = Duration.ofMillis(100);

    /**
     * The longest the worker took, shortly before the kill, from a call's last frame at the simulator to
     * sending its usage record: a call is in flight for the worker until then, not only until the provider's
     * last frame.
     */
    Duration publishLag(List<Published> published) {
      return published.stream()
          .filter(call -> call.finishedAt().isBefore(signalled)
              && call.finishedAt().isAfter(signalled.minus(LAG_WINDOW)))
          .map(Published::lag).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /**
     * Started before the worker was dead, and not ended earlier than the publish lag (and the broker's
     * acknowledgement) before the signal.
     */
    boolean inFlight(LedgerEntry call, Duration publishLag) {
      Instant from = signalled.minus(publishLag).minus(ACK_MARGIN);
      boolean endedBefore = (call.finishedAt() != null && call.finishedAt().isBefore(from))
          || (call.abortedAt() != null && call.abortedAt().isBefore(from));
      return !call.startedAt().isAfter(dead) && !endedBefore;
    }
  }

  /** A served call and how long after its last frame at the simulator the worker sent its usage record. */
  record Published(Instant finishedAt, Duration lag) {
  }

  /**
   * The served calls of jobs with exactly one served call and one usage event with the same tokens (so the
   * pairing is certain), with the lag to that event's record timestamp (CreateTime: set by the worker's
   * producer at send).
   */
  private static List<Published> published(List<TimedEvent> records, List<LedgerEntry> calls) {
    Map<String, List<LedgerEntry>> servedByJob = calls.stream().filter(UsageExactnessIT::served)
        .filter(call -> call.clientRequestId() != null).collect(Collectors.groupingBy(LedgerEntry::clientRequestId));
    List<Published> published = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (TimedEvent record : records) {
      UsageEvent event = record.event();
      List<LedgerEntry> jobCalls = servedByJob.getOrDefault(event.getJobId(), List.of());
      if (!seen.add(event.getEventId()) || event.getEstimated() || jobCalls.size() != 1
          || jobCalls.get(0).promptTokens() != event.getPromptTokens()
          || jobCalls.get(0).completionTokens() != event.getCompletionTokens()) {
        continue;
      }
      Instant finishedAt = jobCalls.get(0).finishedAt();
      published.add(new Published(finishedAt, Duration.between(finishedAt, record.timestamp())));
    }
    return published;
  }

  private static Map<String, Long> lagStatistics(List<Published> published) {
    List<Long> lags = published.stream().map(call -> call.lag().toMillis()).sorted().toList();
    Map<String, Long> statistics = new LinkedHashMap<>();
    if (!lags.isEmpty()) {
      statistics.put("min", lags.get(0));
      statistics.put("p50", lags.get(lags.size() / 2));
      statistics.put("p99", lags.get(Math.min(lags.size() - 1, lags.size() * 99 / 100)));
      statistics.put("max", lags.get(lags.size() - 1));
    }
    return statistics;
  }

  private static boolean sameTokens(LedgerEntry call, UsageEvent event) {
    return event.getPromptTokens() == call.promptTokens() && event.getCompletionTokens() == call.completionTokens();
  }

  /** Finished normally with its usage sent to the worker. */
  private static boolean served(LedgerEntry call) {
    return call.usageReported() && call.finishedAt() != null && !call.aborted() && call.httpStatus() == 200;
  }

  private static void awaitDone(Load load, int done) {
    await().atMost(PATIENCE).until(() -> load.done.get() >= done);
  }

  /** Until every distinct event on ai.usage is a row and the totals equal their recount. */
  private static void awaitPostgresCaughtUp() {
    Map<String, UsageEvent> events = distinctById(readUsageTopic());
    await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
      Set<String> ids = usageRows().keySet();
      Set<String> missing = new HashSet<>(events.keySet());
      missing.removeAll(ids);
      Set<String> extra = new HashSet<>(ids);
      extra.removeAll(events.keySet());
      assertThat(missing).as("events on ai.usage without an ai_usage row (of %d)", events.size()).isEmpty();
      assertThat(extra).as("ai_usage rows without an event on ai.usage").isEmpty();
      assertThat(dailyTotals()).isEqualTo(recountInPostgres());
    });
  }

  /** A record of ai.usage: the event and the record's timestamp (CreateTime: when the worker sent it). */
  record TimedEvent(UsageEvent event, Instant timestamp) {
  }

  /** Every record of ai.usage from offset zero, read_committed, duplicates included. */
  private static List<TimedEvent> readUsageTopic() {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<TimedEvent> events = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
             new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(USAGE).stream()
          .map(info -> new TopicPartition(USAGE, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      while (partitions.stream().anyMatch(partition -> consumer.position(partition) < end.get(partition))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("ai.usage not read to its end in " + PATIENCE);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          UsageEvent event = Topics.USAGE.valueSerde().deserializer().deserialize(record.topic(), record.value());
          events.add(new TimedEvent(event, Instant.ofEpochMilli(record.timestamp())));
        }
      }
    }
    return events;
  }

  /** Duplicates (the worker is at-least-once) must be the same event sent again. */
  private static Map<String, UsageEvent> distinctById(List<TimedEvent> records) {
    Map<String, UsageEvent> distinct = new HashMap<>();
    for (TimedEvent record : records) {
      UsageEvent event = record.event();
      UsageEvent earlier = distinct.putIfAbsent(event.getEventId(), event);
      if (earlier != null) {
        assertThat(event).as("a duplicate of event %s", event.getEventId()).isEqualTo(earlier);
      }
    }
    return distinct;
  }

  /** An ai_usage row as the event it was written from. */
  record Row(String userId, String jobId, String provider, String model, long promptTokens, long completionTokens,
      long totalTokens, long costMicroUsd, boolean estimated, String outcome, Instant occurredAt) {

    static Row of(UsageEvent event) {
      return new Row(event.getUserId(), event.getJobId(), event.getProvider(), event.getModel(),
          event.getPromptTokens(), event.getCompletionTokens(), event.getTotalTokens(), event.getCostMicroUsd(),
          event.getEstimated(), event.getOutcome().name(), event.getOccurredAt());
    }
  }

  record DailyTotal(String userId, LocalDate day, String provider, String model, long requests, long promptTokens,
      long completionTokens, long totalTokens, long costMicroUsd, long estimatedRequests) {
  }

  /** The same totals computed from the events, in Java: the UTC day of occurredAt. */
  private static Set<DailyTotal> recount(java.util.Collection<UsageEvent> events) {
    record Key(String userId, LocalDate day, String provider, String model) {
    }
    Map<Key, List<UsageEvent>> groups = events.stream().collect(Collectors.groupingBy(event -> new Key(
        event.getUserId(), LocalDate.ofInstant(event.getOccurredAt(), ZoneOffset.UTC), event.getProvider(),
        event.getModel())));
    Set<DailyTotal> totals = new HashSet<>();
    groups.forEach((key, group) -> totals.add(new DailyTotal(key.userId(), key.day(), key.provider(), key.model(),
        group.size(), sumOf(group, UsageEvent::getPromptTokens), sumOf(group, UsageEvent::getCompletionTokens),
        sumOf(group, UsageEvent::getTotalTokens), sumOf(group, UsageEvent::getCostMicroUsd),
        group.stream().filter(UsageEvent::getEstimated).count())));
    return totals;
  }

  private static long sumOf(List<UsageEvent> events, Function<UsageEvent, Long> field) {
    return events.stream().mapToLong(field::apply).sum();
  }

  private static Map<String, Row> usageRows() throws SQLException {
    Map<String, Row> rows = new HashMap<>();
    query("select event_id, user_id, job_id, provider, model, prompt_tokens, completion_tokens, total_tokens, "
        + "cost_micro_usd, estimated, outcome, occurred_at from ai_usage", result -> rows.put(result.getString(1),
        new Row(result.getString(2), result.getString(3), result.getString(4), result.getString(5), result.getLong(6),
            result.getLong(7), result.getLong(8), result.getLong(9), result.getBoolean(10), result.getString(11),
            result.getObject(12, java.time.OffsetDateTime.class).toInstant())));
    return rows;
  }

  private static Set<DailyTotal> dailyTotals() throws SQLException {
    return totalsOf("select user_id, day, provider, model, requests, prompt_tokens, completion_tokens, total_tokens, "
        + "cost_micro_usd, estimated_requests from ai_usage_daily_totals");
  }

  private static Set<DailyTotal> recountInPostgres() throws SQLException {
    return totalsOf("select user_id, (occurred_at at time zone 'UTC')::date, provider, model, count(*), "
        + "sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), sum(cost_micro_usd), "
        + "count(*) filter (where estimated) from ai_usage group by 1, 2, 3, 4");
  }

  private static Set<DailyTotal> totalsOf(String sql) throws SQLException {
    Set<DailyTotal> totals = new HashSet<>();
    query(sql, result -> totals.add(new DailyTotal(result.getString(1), result.getObject(2, LocalDate.class),
        result.getString(3), result.getString(4), result.getLong(5), result.getLong(6), result.getLong(7),
        result.getLong(8), result.getLong(9), result.getLong(10))));
    return totals;
  }

  /** Both tables verbatim (recorded_at and updated_at included): a replay must not touch a row. */
  record Snapshot(Map<String, String> usage, Set<String> totals) {
  }

  private static Snapshot snapshot() throws SQLException {
    Map<String, String> usage = new HashMap<>();
    query("select event_id, t::text from ai_usage t", result -> usage.put(result.getString(1), result.getString(2)));
    Set<String> totals = new HashSet<>();
    query("select t::text from ai_usage_daily_totals t", result -> totals.add(result.getString(1)));
    return new Snapshot(usage, totals);
  }

  private interface RowReader {
    void read(ResultSet result) throws SQLException;
  }

  private static void query(String sql, RowReader reader) throws SQLException {
    try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(), Postgres.USER, Postgres.PASSWORD);
         Statement statement = db.createStatement();
         ResultSet result = statement.executeQuery(sql)) {
      while (result.next()) {
        reader.read(result);
      }
    }
  }

  private static Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()));
  }

  private static Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
    try (Admin admin = admin()) {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int partition = 0; partition < partitions; partition++) {
        latest.put(new TopicPartition(topic, partition), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> end = new HashMap<>();
      admin.listOffsets(latest).all().get().forEach((partition, info) -> end.put(partition, info.offset()));
      return end;
    }
  }

  /** The group's committed offsets on the topic's partitions; a partition without one counts as 0. */
  private static Map<TopicPartition, Long> committed(Admin admin, String group, String topic) throws Exception {
    Map<TopicPartition, Long> offsets = new HashMap<>();
    endOffsets(topic).keySet().forEach(partition -> offsets.put(partition, 0L));
    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().forEach((partition, offset) -> {
      if (offset != null && partition.topic().equals(topic)) {
        offsets.put(partition, offset.offset());
      }
    });
    return offsets;
  }

  private static long sum(Map<TopicPartition, Long> offsets) {
    return offsets.values().stream().mapToLong(Long::longValue).sum();
  }

  /**
   * The clients: {@link #JOBS} generate calls spread over the users, the three providers, prompt lengths and
   * answer lengths, with a few provider failures that the worker retries (two calls, two usage events) and
   * a few answers without provider usage (an estimated event). A 503 (the gateway cannot reach PostgreSQL,
   * so no job was made) is retried and does not count as a job.
   */
  private static final class Load {
    final AtomicInteger tickets = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    final AtomicInteger succeeded = new AtomicInteger();
    final AtomicInteger unavailable = new AtomicInteger();
    final AtomicInteger finished = new AtomicInteger();
    final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    volatile boolean stop;

    void run() {
      try {
        int job;
        while (!stop && (job = tickets.getAndIncrement()) < JOBS) {
          String outcome;
          do {
            outcome = call(job);
          } while (outcome.equals("503") && !stop && backOff());
          outcomes.computeIfAbsent(outcome, o -> new AtomicInteger()).incrementAndGet();
          if (outcome.equals("200")) {
            succeeded.incrementAndGet();
          }
          done.incrementAndGet();
        }
      } finally {
        finished.incrementAndGet();
      }
    }

    private String call(int job) {
      String provider = PROVIDERS.get(job % PROVIDERS.size());
      String model = switch (job % 20) {
        case 0 -> ",\"model\":\"sim-fail-then-ok-1\"";
        case 10 -> ",\"model\":\"sim-no-usage\"";
        default -> "";
      };
      String body = "{\"prompt\":\"job " + job + " " + "word ".repeat(job % 17) + "\",\"provider\":\"" + provider
          + "\"" + model + ",\"maxTokens\":" + (1 + job % 12) + "}";
      try {
        String key = keys.get(job / PROVIDERS.size() % USERS);
        HttpResponse<String> response = Http.postJson(stack.gatewayUrl() + "/v1/generate", key, body);
        if (response.statusCode() == 503) {
          unavailable.incrementAndGet();
        }
        return Integer.toString(response.statusCode());
      } catch (UncheckedIOException e) {
        return "io-error";
      }
    }

    /** A client honouring the gateway's Retry-After (capped at 100 ms), not a test waiting for a condition. */
    private static boolean backOff() {
      try {
        TimeUnit.MILLISECONDS.sleep(100);
        return true;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }
}
