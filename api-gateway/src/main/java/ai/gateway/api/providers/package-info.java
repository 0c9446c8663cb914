/** {@code GET /v1/providers}: what the workers can serve, from the compacted {@code ai.providers} topic. */
@NullMarked
package ai.gateway.api.providers;

import org.jspecify.annotations.NullMarked;
