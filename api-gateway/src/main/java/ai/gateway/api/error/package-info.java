@NullMarked
package ai.gateway.api.error;

import org.jspecify.annotations.NullMarked;
