package ai.gateway.worker.provider.openai;

import ai.gateway.worker.provider.ProviderEvent;
import ai.gateway.worker.provider.ProviderException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/**
 * What one network read decoded to: the events, then possibly a failure. Kept apart so that text which
 * arrived in the same read as an error frame still reaches the caller before the error.
 */
record Decoded(List<ProviderEvent> events, @Nullable ProviderException failure) {

  static Decoded of(List<ProviderEvent> events) {
    return new Decoded(events, null);
  }

  Flux<ProviderEvent> toFlux() {
    Flux<ProviderEvent> events = Flux.fromIterable(this.events);
    return failure == null ? events : events.concatWith(Flux.error(failure));
  }
}
