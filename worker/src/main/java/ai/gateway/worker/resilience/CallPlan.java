package ai.gateway.worker.resilience;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a job asks of the providers.
 *
 * @param provider the provider the job names, as it named it; blank or {@code null}: the first configured
 *     and not circuit-open, falling back to the next one when it fails
 * @param model the model the job names; {@code null}: each provider's default. A named model pins the
 *     provider that was chosen for it: another provider would not know the name
 * @param deadline no call starts, and no retry waits, beyond it
 */
public record CallPlan(@Nullable String provider, @Nullable String model, Instant deadline) {

  public CallPlan {
    Objects.requireNonNull(deadline, "deadline");
    provider = provider == null || provider.isBlank() ? null : provider;
    model = model == null || model.isBlank() ? null : model;
  }
}
