package ai.gateway.api.generate;

import reactor.core.publisher.Mono;

/**
 * Records who owns a streamed job, so that another gateway instance can let its owner resume it with
 * {@code Last-Event-ID} after the instance that held the connection died. Recording is off the stream's
 * path: a failure costs the resumability of that one stream, never the stream itself.
 */
public interface StreamOwners {

  Mono<Void> record(String jobId, String userId);
}
