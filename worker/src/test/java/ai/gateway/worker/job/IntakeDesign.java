package ai.gateway.worker.job;

import ai.gateway.schemas.Topics;
import ai.gateway.schemas.v1.GenerationJob;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * One way of taking jobs from a topic and running many at once, for {@link IntakeDesignsBenchmarkIT}: the
 * design decides when records are fetched, how many run, and when Kafka learns that one is done.
 */
interface IntakeDesign extends AutoCloseable {

  Deserializer<GenerationJob> JOBS = Topics.JOBS.valueSerde().deserializer();

  String name();

  /** Starts consuming {@code topic}; each job runs through {@code work}, whose future completes when it ends. */
  void start(String bootstrapServers, String topic, int maxInFlight,
      Function<GenerationJob, CompletableFuture<Void>> work);

  /** Stops at once; jobs still running are abandoned (their records are redelivered to whoever comes next). */
  @Override
  void close();
}
