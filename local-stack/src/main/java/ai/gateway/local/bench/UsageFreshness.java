package ai.gateway.local.bench;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.UsageEvent;
import ai.gateway.schemas.v1.UsageOutcome;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * How long a usage event takes to become readable where {@code GET /v1/usage} reads it (the ledger table
 * {@code ai_usage}), at a steady rate of events on {@code ai.usage} as workers would publish them. Every
 * {@code sampleEvery}-th event is timed: from just before its send to the first poll that sees its row. The
 * poll runs every 10 ms, so figures are up to 10 ms late.
 */
final class UsageFreshness {

  record Result(int perSecond, int seconds, long sent, long sampled, long unseen, Histogram micros) {
  }

  private UsageFreshness() {
  }

  static Result run(String bootstrapServers, String jdbcUrl, String user, String password, int perSecond, int seconds,
      int sampleEvery, Duration settle) throws SQLException, InterruptedException {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    // As a worker sends them: at once (Kafka 4's default linger of 5 ms would be counted as freshness).
    props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    Map<String, Long> pending = new ConcurrentHashMap<>();
    Histogram micros = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
    long sent = 0;
    long sampled = 0;
    try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(props,
             Topics.USAGE.keySerde().serializer(), Topics.USAGE.valueSerde().serializer());
         Connection db = DriverManager.getConnection(jdbcUrl, user, password);
         PreparedStatement seen = db.prepareStatement("select event_id from ai_usage where event_id = any(?)")) {
      long intervalNanos = 1_000_000_000L / perSecond;
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      long nextPoll = start;
      long total = (long) perSecond * seconds;
      while (sent < total || (!pending.isEmpty() && System.nanoTime() < end + settle.toNanos())) {
        long now = System.nanoTime();
        long due = Math.min(total, (now - start) / intervalNanos + 1);
        while (sent < due) {
          String eventId = UUID.randomUUID().toString();
          if (sent % sampleEvery == 0) {
            pending.put(eventId, System.nanoTime());
            sampled++;
          }
          UsageEvent event = event(eventId, "bench-usage-user-" + (sent % 500));
          producer.send(new ProducerRecord<>(Topics.USAGE.defaultName(), event.getUserId(), event));
          sent++;
        }
        if (now >= nextPoll && !pending.isEmpty()) {
          poll(db, seen, pending, micros);
          nextPoll = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        }
        LockSupport.parkNanos(Math.min(intervalNanos, TimeUnit.MILLISECONDS.toNanos(1)));
      }
    }
    return new Result(perSecond, seconds, sent, sampled, pending.size(), micros);
  }

  private static void poll(Connection db, PreparedStatement seen, Map<String, Long> pending, Histogram micros)
      throws SQLException {
    List<String> ids = new ArrayList<>(pending.keySet());
    Array array = db.createArrayOf("text", ids.toArray());
    seen.setArray(1, array);
    try (ResultSet rows = seen.executeQuery()) {
      long now = System.nanoTime();
      while (rows.next()) {
        Long sentAt = pending.remove(rows.getString(1));
        if (sentAt != null) {
          micros.recordValue(Math.min(micros.getHighestTrackableValue(), (now - sentAt) / 1000));
        }
      }
    }
  }

  private static UsageEvent event(String eventId, String userId) {
    return UsageEvent.newBuilder()
        .setEventId(eventId)
        .setUserId(userId)
        .setJobId(UUID.randomUUID().toString())
        .setDelivery(1)
        .setProviderAttempt(1)
        .setProvider("openai")
        .setModel("gpt-4o-mini")
        .setPromptTokens(12)
        .setCompletionTokens(40)
        .setTotalTokens(52)
        .setEstimated(false)
        .setCostMicroUsd(26)
        .setPriceKnown(true)
        .setOutcome(UsageOutcome.SUCCEEDED)
        .setErrorCode(null)
        .setBatchId(null)
        .setOccurredAt(Instant.now())
        .build();
  }
}
