@NullMarked
package ai.gateway.api.generate;

import org.jspecify.annotations.NullMarked;
