package ai.gateway.worker.job;

import ai.gateway.worker.resilience.ProviderCalls;
import java.time.Clock;
import java.time.Duration;

/** What every job attempt needs from the worker; one instance shared by all runs. */
record JobContext(String workerId, Duration leaseDuration, ProviderCalls calls, WorkerPublisher publisher,
    PriceTable prices, ErrorReporting reporting, JobMetrics metrics, Clock clock) {
}
