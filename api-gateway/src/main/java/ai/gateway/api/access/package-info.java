@NullMarked
package ai.gateway.api.access;

import org.jspecify.annotations.NullMarked;
