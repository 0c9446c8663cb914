package ai.gateway.worker.provider;

import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Tells a provider call's caller the moment its request goes to the network (the connection is open and the
 * request is being written), through the Reactor context of the call's stream: before that moment the
 * provider cannot have seen the request, so a call that ends earlier (connection refused, pool wait, cancel,
 * deadline) has cost nothing and gets no usage event; from that moment on the provider may bill it, so it
 * does.
 *
 * <p>{@link ProviderHttp} signals it for every adapter from Reactor Netty's on-request hook. Not the
 * after-request hook: the load test saw a call the provider had received and answered whose after-request
 * signal had not yet arrived when the deadline ended it, so its usage would have been lost.
 */
public final class RequestSent {

  private static final Object KEY = RequestSent.class;

  private RequestSent() {
  }

  /** A context that runs {@code callback} once the request is on the wire; write it onto the call's stream. */
  public static Context notify(Runnable callback) {
    return Context.of(KEY, callback);
  }

  /** Signals the callback in {@code context}, if any. */
  public static void signal(ContextView context) {
    context.<Runnable>getOrEmpty(KEY).ifPresent(Runnable::run);
  }
}
