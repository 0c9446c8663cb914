@NullMarked
package ai.gateway.worker.config;

import org.jspecify.annotations.NullMarked;
