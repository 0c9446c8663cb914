package ai.gateway.simulator;

import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;

/**
 * How one call's generated answer looks in one provider's wire format. A handler builds one per call, with
 * the request, the {@link Call} and the capped plan in hand, and {@link Responder} plays it on the clock.
 * Implementations report usage with {@link Call#usageSent()} when they render the final usage, and hand
 * their last frame out through {@link Responder#lastFrame}.
 */
interface AnswerWire {

  /** Headers of the 200 stream, the content type included. */
  Map<String, String> streamHeaders();

  /** The frames that carry content token {@code index} (the first also carries the stream's opening frames). */
  List<String> token(int index, String text);

  /** The frames after the last token when the answer finishes or fails mid-stream; subscribed once, lazily. */
  Flux<String> ending();

  /** The non-stream answer, sent after the whole answer's time. */
  WireResponse body(String text);

  /** What a non-stream call gets for {@code sim-midstream-error}. */
  WireResponse midstreamError();
}
