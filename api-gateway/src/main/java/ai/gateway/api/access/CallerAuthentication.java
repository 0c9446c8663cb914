package ai.gateway.api.access;

import java.util.List;

import org.springframework.security.authentication.AbstractAuthenticationToken;

/** An authenticated {@code /v1} request: its {@link Caller}, and whether a JWT or an API key proved it. Holds no credential. */
final class CallerAuthentication extends AbstractAuthenticationToken {

  enum Method { JWT, API_KEY }

  private final Caller caller;
  private final Method method;

  CallerAuthentication(Caller caller, Method method) {
    super(List.of());
    this.caller = caller;
    this.method = method;
    setAuthenticated(true);
  }

  Caller caller() {
    return caller;
  }

  Method method() {
    return method;
  }

  @Override
  public Object getCredentials() {
    return "";
  }

  @Override
  public Object getPrincipal() {
    return caller;
  }

  @Override
  public String getName() {
    return caller.userId();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof CallerAuthentication that && caller.equals(that.caller) && method == that.method;
  }

  @Override
  public int hashCode() {
    return caller.hashCode() * 31 + method.hashCode();
  }
}
