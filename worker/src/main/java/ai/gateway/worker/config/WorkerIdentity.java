package ai.gateway.worker.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** This instance's id: the key of its {@code ai.providers} entry and the {@code workerId} of its records. */
public record WorkerIdentity(String id) {

  public WorkerIdentity {
    Objects.requireNonNull(id, "id");
  }

  /**
   * The configured id, else {@code worker-<host>-<8 hex>}: the random part keeps two workers on one host (or a
   * restarted pod) apart, the host part keeps it readable.
   */
  static WorkerIdentity from(@Nullable String configured) {
    if (configured != null && !configured.isBlank()) {
      return new WorkerIdentity(configured.strip());
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "unknown";
    }
    return new WorkerIdentity("worker-" + host + "-" + UUID.randomUUID().toString().substring(0, 8));
  }
}
