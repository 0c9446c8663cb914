/**
 * The benchmark harness: drives a whole local stack (real service jars, real Kafka and PostgreSQL, the
 * provider simulator) and measures the gateway against calling the simulator directly.
 */
@NullMarked
package ai.gateway.local.bench;

import org.jspecify.annotations.NullMarked;
