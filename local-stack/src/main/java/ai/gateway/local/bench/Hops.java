package ai.gateway.local.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.JobState;
import ai.gateway.schemas.v1.JobStatus;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Where a gateway request's time goes, hop by hop, from timestamps on one clock (every process runs on this
 * machine): the client's send, the gateway's record on {@code ai.jobs} (the producer's create time, taken at its
 * {@code send}), the worker's RUNNING record on {@code ai.job-status} (as the attempt starts, before the provider
 * call), the worker's first CHUNK (a stream) or DONE (a call) on {@code ai.replies}, and the client's first token
 * or end of answer. The job id comes from the answer (a chunk's or the body's {@code jobId}).
 *
 * <p>Kafka's timestamps are milliseconds, so each hop carries up to a millisecond of rounding either way.
 */
final class Hops implements AutoCloseable {

  /** One measured gateway request: its job, when it was sent and when the client saw its mark (wall clock, µs). */
  record Trace(String jobId, long sentMicros, long markMicros) {
  }

  /** The segments of one run, in microseconds. */
  record Result(String run, long traced, long matched, Histogram gatewayIn, Histogram toWorker,
      Histogram workerAndProvider, Histogram replyOut) {
  }

  private static final List<String> TOPICS = List.of("ai.jobs", "ai.job-status", "ai.replies");

  private final KafkaConsumer<String, byte[]> consumer;
  private final List<TopicPartition> partitions = new ArrayList<>();
  private final List<Result> results = new ArrayList<>();
  private Map<TopicPartition, Long> start = Map.of();
  private Queue<Trace> traces = new ConcurrentLinkedQueue<>();

  Hops(String bootstrapServers) {
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000,
        ConsumerConfig.CLIENT_ID_CONFIG, "bench-hops"), new StringDeserializer(), new ByteArrayDeserializer());
    for (String topic : TOPICS) {
      for (PartitionInfo info : consumer.partitionsFor(topic)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
    }
    consumer.assign(partitions);
  }

  /** Before a run: where each partition ends, and a fresh list for the run's traces. */
  Queue<Trace> start() {
    start = consumer.endOffsets(partitions);
    traces = new ConcurrentLinkedQueue<>();
    return traces;
  }

  /** After a run: reads what the run wrote and matches it with the clients' traces. */
  void stop(String run, boolean stream) {
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
    Map<String, Long> queued = new HashMap<>();
    Map<String, Long> running = new HashMap<>();
    Map<String, Long> replied = new HashMap<>();
    start.forEach(consumer::seek);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!reached(end) && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
        if (record.key() == null || record.value() == null || record.offset() >= end.get(partition(record))) {
          continue;
        }
        switch (record.topic()) {
          case "ai.jobs" -> queued.putIfAbsent(record.key(), record.timestamp());
          case "ai.job-status" -> {
            JobStatus status = Topics.JOB_STATUS.valueSerde().deserializer().deserialize(record.topic(), record.value());
            if (status.getState() == JobState.RUNNING) {
              running.putIfAbsent(record.key(), record.timestamp());
            }
          }
          default -> {
            GenerationEvent event = Topics.REPLIES.valueSerde().deserializer().deserialize(record.topic(), record.value());
            GenerationEventType mark = stream ? GenerationEventType.CHUNK : GenerationEventType.DONE;
            if (event.getType() == mark) {
              replied.putIfAbsent(record.key(), record.timestamp());
            }
          }
        }
      }
    }
    Histogram in = histogram();
    Histogram toWorker = histogram();
    Histogram provider = histogram();
    Histogram out = histogram();
    long matched = 0;
    for (Trace trace : traces) {
      Long q = queued.get(trace.jobId());
      Long r = running.get(trace.jobId());
      Long p = replied.get(trace.jobId());
      if (q == null || r == null || p == null) {
        continue;
      }
      matched++;
      record(in, q * 1000 - trace.sentMicros());
      record(toWorker, (r - q) * 1000);
      record(provider, (p - r) * 1000);
      record(out, trace.markMicros() - p * 1000);
    }
    results.add(new Result(run, traces.size(), matched, in, toWorker, provider, out));
  }

  /** A Markdown table of the hops of each traced run, or an empty string. */
  String markdown() {
    if (results.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder("""

        Where a gateway request's time goes (ms, p50 / p90 / p99; timestamps of the client, the gateway's ai.jobs \
        record, the worker's RUNNING status and its first chunk (stream) or DONE (call) on ai.replies; Kafka's \
        timestamps are whole milliseconds):

        | run | traced / matched | client → ai.jobs (gateway in) | ai.jobs → RUNNING (to the worker) \
        | RUNNING → reply (worker and provider) | reply → client (reply out) |
        |---|---|---|---|---|---|
        """);
    for (Result result : results) {
      md.append(String.format(Locale.ROOT, "| %s | %d / %d | %s | %s | %s | %s |%n", result.run(), result.traced(),
          result.matched(), percentiles(result.gatewayIn()), percentiles(result.toWorker()),
          percentiles(result.workerAndProvider()), percentiles(result.replyOut())));
    }
    return md.toString();
  }

  List<Result> results() {
    return List.copyOf(results);
  }

  private boolean reached(Map<TopicPartition, Long> end) {
    for (TopicPartition partition : partitions) {
      if (consumer.position(partition) < end.get(partition)) {
        return false;
      }
    }
    return true;
  }

  private static TopicPartition partition(ConsumerRecord<?, ?> record) {
    return new TopicPartition(record.topic(), record.partition());
  }

  private static Histogram histogram() {
    return new Histogram(Load.MAX_MICROS, 3);
  }

  /** Negative values (clock rounding) count as zero. */
  private static void record(Histogram histogram, long micros) {
    histogram.recordValue(Math.max(0, Math.min(Load.MAX_MICROS, micros)));
  }

  private static String percentiles(Histogram histogram) {
    if (histogram.getTotalCount() == 0) {
      return "—";
    }
    return String.format(Locale.ROOT, "%.1f / %.1f / %.1f", Benchmark.ms(histogram, 50), Benchmark.ms(histogram, 90),
        Benchmark.ms(histogram, 99));
  }

  @Override
  public void close() {
    consumer.close();
  }
}
