package ai.gateway.api.kafka;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Catch-up reads of one job's events from {@code ai.replies}, on any instance: the job's events are all in the
 * partition its id hashes to, so a group-less consumer assigns that partition, seeks to the job's creation time
 * (minus a margin for the workers' clocks) with {@code offsetsForTimes} and reads up to where the tail's live
 * records begin (the offset the tail added the partition at, or the end offset it measures first).
 * {@link KafkaReplyTail} merges that with the live records it buffered meanwhile.
 *
 * <p>Bounded: at most {@code maxReplays} reads run at once, each on its own thread of a bounded scheduler (a
 * consumer blocks in {@code poll}), each keeping its consumer for the next read; the rest queue, and a full
 * queue is {@code UNAVAILABLE}. A read gives up after {@code timeout}.
 */
final class KafkaReplay implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(KafkaReplay.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(1);

  private final Supplier<Consumer<String, byte[]>> consumers;
  private final String topic;
  private final Duration margin;
  private final Duration timeout;
  private final Scheduler catchUps;
  private final BlockingQueue<Consumer<String, byte[]>> idle;
  private volatile boolean closed;

  /** Catch-up reads waiting for one of the {@code maxReplays} threads, per thread; beyond that, {@code UNAVAILABLE}. */
  static final int QUEUED_CATCH_UPS_PER_THREAD = 4_096;

  KafkaReplay(Supplier<Consumer<String, byte[]>> consumers, String topic, Duration margin, Duration timeout, int maxReplays) {
    this.consumers = consumers;
    this.topic = topic;
    this.margin = margin;
    this.timeout = timeout;
    this.catchUps = Schedulers.newBoundedElastic(maxReplays, QUEUED_CATCH_UPS_PER_THREAD, "reply-catch-up");
    this.idle = new ArrayBlockingQueue<>(maxReplays);
  }

  /**
   * What a catch-up read found: the job's events the partition held below {@code end} (the offset the tail started
   * the partition at, or the end offset when the read began), as {@link Replayed} admits them from the start, up
   * to the terminal event if there was one.
   */
  record CatchUp(List<GenerationEvent> events, long end, boolean finished) {
  }

  /**
   * Reads what the job's partition holds now (from the job's creation less the margin up to {@code end}, or if
   * empty to the end offset it measures first), without waiting for live records: a live channel registered for
   * the job's records before this is subscribed has every record from that offset on. At most {@code maxReplays}
   * run at once; the rest queue. Stops early at the job's terminal event.
   */
  Mono<CatchUp> catchUp(String jobId, Instant createdAt, OptionalLong end) {
    return Mono.fromCallable(() -> readToEnd(jobId, createdAt, end))
        .subscribeOn(catchUps)
        .onErrorMap(RejectedExecutionException.class,
            e -> ApiError.of(ErrorCode.UNAVAILABLE, "Too many event replays at once; try again.").exception(e));
  }

  private CatchUp readToEnd(String jobId, Instant createdAt, OptionalLong endOffset) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Consumer<String, byte[]> consumer = idle.poll();
    if (consumer == null) {
      try {
        consumer = consumers.get();
      } catch (KafkaException e) {
        throw unavailable(e);
      }
    }
    boolean reusable = false;
    try {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
      if (infos == null || infos.isEmpty()) {
        throw ApiError.of(ErrorCode.UNAVAILABLE, "The reply topic is not available.").exception();
      }
      TopicPartition partition = new TopicPartition(topic, ReplyPartitions.of(jobId, infos.size()));
      consumer.assign(List.of(partition));
      long end = endOffset.isPresent() ? endOffset.getAsLong()
          : consumer.endOffsets(List.of(partition), METADATA_TIMEOUT).get(partition);
      long from = createdAt.minus(margin).toEpochMilli();
      OffsetAndTimestamp start = consumer.offsetsForTimes(Map.of(partition, Math.max(0, from)), METADATA_TIMEOUT).get(partition);
      List<GenerationEvent> events = new ArrayList<>();
      Replayed state = new Replayed(null);
      if (start != null && start.offset() < end) {
        consumer.seek(partition, start.offset());
        while (!state.finished && consumer.position(partition, METADATA_TIMEOUT) < end) {
          if (System.nanoTime() > deadline) {
            throw ApiError.of(ErrorCode.UNAVAILABLE, "The job's events could not be read in time; try again.").exception();
          }
          for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL).records(partition)) {
            if (record.offset() >= end || state.finished) {
              break;
            }
            if (jobId.equals(record.key())) {
              GenerationEvent event = Topics.REPLIES.valueSerde().deserializer().deserialize(record.topic(), record.value());
              if (event != null && state.admit(event)) {
                events.add(event);
              }
            }
          }
        }
      }
      log.debug("caught up job {} on {} below {}: {} events", jobId, partition, end, events.size());
      reusable = true;
      return new CatchUp(events, end, state.finished);
    } catch (KafkaException e) {
      throw unavailable(e);
    } finally {
      // Making a consumer and closing it costs more than a short read: one stays open per catch-up thread.
      if (!reusable || closed || !idle.offer(consumer)) {
        consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
      }
    }
  }

  private static ApiException unavailable(Exception cause) {
    return ApiError.of(ErrorCode.UNAVAILABLE, "The job's events cannot be read now; try again.").exception(cause);
  }

  /**
   * The replay's position: admits events after it in the order the live stream relays them (a later attempt
   * replaces an earlier one; duplicates and an older attempt's late events are dropped), and finishes at the
   * first terminal event admitted, or at a terminal event of the caller's own attempt it had already seen.
   */
  static final class Replayed {

    private @Nullable EventPosition last;
    boolean finished;

    Replayed(@Nullable EventPosition after) {
      this.last = after;
    }

    boolean admit(GenerationEvent event) {
      EventPosition position = EventPosition.of(event);
      boolean terminal = event.getType() == GenerationEventType.DONE || event.getType() == GenerationEventType.ERROR;
      EventPosition current = last;
      if (current != null && position.compareTo(current) <= 0) {
        if (terminal && position.attempt() == current.attempt()) {
          finished = true; // the caller has seen the end of its attempt already
        }
        return false;
      }
      last = position;
      finished = terminal;
      return true;
    }
  }

  @Override
  public void destroy() {
    closed = true;
    catchUps.dispose();
    for (Consumer<String, byte[]> consumer; (consumer = idle.poll()) != null; ) {
      consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
    }
  }
}
