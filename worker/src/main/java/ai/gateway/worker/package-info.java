@NullMarked
package ai.gateway.worker;

import org.jspecify.annotations.NullMarked;
