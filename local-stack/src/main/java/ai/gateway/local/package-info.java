/** One-command local run: a KRaft broker, PostgreSQL, the provider simulator and the service jars. */
@NullMarked
package ai.gateway.local;

import org.jspecify.annotations.NullMarked;
