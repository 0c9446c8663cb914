package ai.gateway.local;

/** The deployables the stack forks, with their design ports and the jar each runs from. */
public enum Service {
  GATEWAY("api-gateway", 8080),
  WORKER("worker", 8081),
  AGGREGATOR("usage-aggregator", 8082);

  private final String module;
  private final int designPort;

  Service(String module, int designPort) {
    this.module = module;
    this.designPort = designPort;
  }

  public String module() {
    return module;
  }

  public int designPort() {
    return designPort;
  }
}
