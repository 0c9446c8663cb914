@NullMarked
package ai.gateway.api.config;

import org.jspecify.annotations.NullMarked;
