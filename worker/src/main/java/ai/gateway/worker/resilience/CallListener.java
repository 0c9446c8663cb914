package ai.gateway.worker.resilience;

import ai.gateway.worker.provider.ProviderAdapter;
import ai.gateway.worker.provider.ProviderException;
import ai.gateway.worker.provider.ProviderRequest;

/** The job attempt's side of its provider calls: it builds each request and accounts for each call. */
public interface CallListener {

  /**
   * A provider call is about to be made; returns its request. The listener records the call here, before
   * it is made (its usage event's id exists before the call).
   *
   * @param providerAttempt 1 for the first call of the job attempt, 2 for the next, ...
   */
  ProviderRequest starting(ProviderAdapter adapter, int providerAttempt);

  /**
   * The call's request has been written to the network: from now on the provider may bill it, so the call
   * gets a usage event however it ends. A call that fails before this was never made.
   */
  void sent();

  /** True once any part of the answer reached the client: from then on a failure ends the job. */
  boolean answerStarted();

  /** The call failed and another will follow: the listener accounts for this one now. */
  void retrying(ProviderAdapter adapter, int providerAttempt, ProviderException failure);
}
