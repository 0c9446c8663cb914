package ai.gateway.api.batches;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import ai.gateway.api.batches.PostgresBatches.Claimed;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;

/**
 * Publishes claimed batch items on {@code ai.batch-jobs}, keyed by job id, the stored bytes unchanged (a republish
 * is the same record). Blocking: it runs on the feeder's own thread, never on an event loop. Its own producer, so
 * that a batch's burst never queues ahead of interactive jobs in the request path's producer.
 */
final class BatchItemPublisher implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(BatchItemPublisher.class);

  private final Producer<String, byte[]> producer;
  private final String topic;
  private final Duration timeout;

  BatchItemPublisher(Producer<String, byte[]> producer, String topic, Duration timeout) {
    this.producer = producer;
    this.topic = topic;
    this.timeout = timeout;
  }

  /** The job ids the broker acknowledged; the others stay unpublished and are sent again later. */
  List<UUID> publish(List<Claimed> items) {
    List<Future<RecordMetadata>> sends = new ArrayList<>(items.size());
    for (Claimed item : items) {
      try {
        sends.add(producer.send(new ProducerRecord<>(topic, item.jobId().toString(), item.request())));
      } catch (RuntimeException e) {
        log.warn("batch item {} not published: {}", item.jobId(), e.toString());
        sends.add(null);
      }
    }
    List<UUID> acknowledged = new ArrayList<>(items.size());
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; i < items.size(); i++) {
      Future<RecordMetadata> send = sends.get(i);
      if (send == null) {
        continue;
      }
      try {
        send.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        acknowledged.add(items.get(i).jobId());
      } catch (ExecutionException | TimeoutException e) {
        log.warn("batch item {} not acknowledged: {}", items.get(i).jobId(), e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return acknowledged;
  }

  @Override
  public void destroy() {
    producer.close(Duration.ofSeconds(2));
  }
}
