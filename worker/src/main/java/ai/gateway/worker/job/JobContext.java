package ai.gateway.worker.job;

import ai.gateway.worker.resilience.ProviderCalls;
import java.time.Clock;
import java.time.Duration;

/**
 * What every job attempt needs from the worker; one instance shared by all runs. A running attempt renews its
 * lease (a RUNNING status) every {@code heartbeatInterval}.
 */
record JobContext(String workerId, Duration leaseDuration, Duration heartbeatInterval, ProviderCalls calls,
    WorkerPublisher publisher, PriceTable prices, ErrorReporting reporting, JobMetrics metrics, Clock clock) {
}
