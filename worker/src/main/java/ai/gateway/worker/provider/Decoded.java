package ai.gateway.worker.provider;

import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/**
 * What one network read decoded to: the events, then possibly a failure. Kept apart so that text which
 * arrived in the same read as an error frame still reaches the caller before the error.
 */
public record Decoded(List<ProviderEvent> events, @Nullable ProviderException failure) {

  public static Decoded of(List<ProviderEvent> events) {
    return new Decoded(events, null);
  }

  public Flux<ProviderEvent> toFlux() {
    Flux<ProviderEvent> events = Flux.fromIterable(this.events);
    return failure == null ? events : events.concatWith(Flux.error(failure));
  }
}
