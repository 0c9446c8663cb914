package ai.gateway.api.jobs;

/**
 * Puts a callback that became due on {@code ai.callbacks}: a job's id, or {@link BatchCallbacks#PREFIX} and a
 * batch's id. Throws when the record could not be published, so the caller keeps its state {@code pending} and
 * tries again.
 */
@FunctionalInterface
public interface CallbackQueue {

  void enqueue(String key);
}
