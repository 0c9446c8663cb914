@NullMarked
package ai.gateway.usage.config;

import org.jspecify.annotations.NullMarked;
