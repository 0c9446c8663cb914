package ai.gateway.worker.provider;

import reactor.core.publisher.Flux;

/**
 * One provider, always streaming: a non-streaming answer is this stream folded by the caller.
 *
 * <p>The stream is cold (nothing happens until subscribed) and ends in one of two ways: it completes after
 * exactly one {@link Finished}, or it fails with a {@link ProviderException}. A stream that stops without a
 * finish reason is an error, never a clean end. Cancelling the subscription closes the HTTP stream.
 */
public interface ProviderAdapter {

  ProviderId id();

  /** The model used when a job names none. */
  String defaultModel();

  Flux<ProviderEvent> stream(ProviderRequest request);
}
