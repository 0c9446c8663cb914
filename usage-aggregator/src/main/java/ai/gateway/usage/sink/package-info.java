@NullMarked
package ai.gateway.usage.sink;

import org.jspecify.annotations.NullMarked;
