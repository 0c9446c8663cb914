/** Money as the API shows it. */
@NullMarked
package ai.gateway.api.money;

import org.jspecify.annotations.NullMarked;
