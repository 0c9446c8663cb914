/**
 * The provider port: one small streaming interface, sealed events, failure classes mapped once to the
 * design's error codes. Each provider is a sub-package that never imports another.
 */
@NullMarked
package ai.gateway.worker.provider;

import org.jspecify.annotations.NullMarked;
