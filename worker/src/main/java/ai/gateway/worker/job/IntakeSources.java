package ai.gateway.worker.job;

import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;

/**
 * Where {@link ConsumerGroupJobIntake} reads: {@code ai.jobs} as a consumer-group member, and
 * {@code ai.job-status} without a group. Suppliers, because the intake makes new consumers after a failure.
 */
record IntakeSources(Supplier<Consumer<String, byte[]>> jobs, Supplier<Consumer<String, byte[]>> statuses,
    String jobsTopic, String statusTopic) {
}
