package ai.gateway.api.access;

/**
 * A request to create work that passed authentication, the {@code ai_access} entitlement, validation and
 * the rate limit, in that order. Only {@link WorkAdmission} makes one (the constructor is not public), and
 * the job dispatcher takes nothing else: code that creates work cannot skip the checks.
 *
 * @param <T> the validated request
 */
public final class Admitted<T> {

  private final Caller caller;
  private final T request;

  Admitted(Caller caller, T request) {
    this.caller = caller;
    this.request = request;
  }

  public Caller caller() {
    return caller;
  }

  public T request() {
    return request;
  }
}
