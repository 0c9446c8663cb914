package ai.gateway.api.kafka;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import ai.gateway.schemas.v1.JobControl;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@link JobPublisher} on one idempotent {@code KafkaProducer}. {@code send()} blocks while it fetches
 * metadata or waits for buffer space (up to {@code max.block.ms}), so it runs on a small bounded
 * scheduler, never on an event-loop thread, and the acknowledgement is awaited with a deadline: a broker
 * outage answers 503 within {@code publish-timeout} instead of hanging the request (KAFKA-16372).
 */
final class KafkaJobPublisher implements JobPublisher, DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(KafkaJobPublisher.class);

  private final Producer<String, byte[]> producer;
  private final String jobsTopic;
  private final String controlTopic;
  private final Duration timeout;
  private final Duration retryAfter;
  private final Scheduler sendScheduler;

  KafkaJobPublisher(Producer<String, byte[]> producer, String jobsTopic, String controlTopic, Duration timeout,
                    Duration retryAfter, int threads) {
    this.producer = producer;
    this.jobsTopic = jobsTopic;
    this.controlTopic = controlTopic;
    this.timeout = timeout;
    this.retryAfter = retryAfter;
    // A full queue is overload: the task is rejected and the request answered 503, nothing waits unbounded.
    this.sendScheduler = Schedulers.newBoundedElastic(threads, 10_000, "kafka-send");
  }

  @Override
  public Mono<Void> publish(GenerationJob job) {
    byte[] value = Topics.JOBS.valueSerde().serializer().serialize(jobsTopic, job);
    return send(new ProducerRecord<>(jobsTopic, job.getJobId(), value));
  }

  @Override
  public Mono<Void> control(JobControl control) {
    byte[] value = Topics.JOB_CONTROL.valueSerde().serializer().serialize(controlTopic, control);
    return send(new ProducerRecord<>(controlTopic, control.getJobId(), value));
  }

  private Mono<Void> send(ProducerRecord<String, byte[]> record) {
    return Mono.<Void>create(sink -> {
          try {
            // The callback runs on the producer's I/O thread; the sink only hands the signal on.
            producer.send(record, (metadata, failure) -> {
              if (failure == null) {
                sink.success();
              } else {
                sink.error(failure);
              }
            });
          } catch (RuntimeException e) {
            sink.error(e);
          }
        })
        .subscribeOn(sendScheduler)
        .timeout(timeout, Mono.error(() -> new TimeoutException("no acknowledgement from Kafka within " + timeout)))
        .onErrorMap(failure -> {
          log.debug("publish to {} failed: {}", record.topic(), failure.toString());
          return ApiError.of(ErrorCode.UNAVAILABLE, "The job queue is unavailable; try again later.")
              .withRetryAfter(retryAfter).exception(failure);
        });
  }

  @Override
  public void destroy() {
    producer.close(Duration.ofSeconds(2));
    sendScheduler.dispose();
  }
}
