@NullMarked
package ai.gateway.usage;

import org.jspecify.annotations.NullMarked;
