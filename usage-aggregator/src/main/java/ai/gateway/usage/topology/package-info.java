@NullMarked
package ai.gateway.usage.topology;

import org.jspecify.annotations.NullMarked;
