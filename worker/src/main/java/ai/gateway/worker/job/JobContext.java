package ai.gateway.worker.job;

import ai.gateway.worker.provider.ProviderRegistry;
import java.time.Clock;
import java.time.Duration;

/** What every job attempt needs from the worker; one instance shared by all runs. */
record JobContext(String workerId, Duration leaseDuration, ProviderRegistry providers, WorkerPublisher publisher,
    PriceTable prices, ErrorReporting reporting, JobMetrics metrics, Clock clock) {
}
