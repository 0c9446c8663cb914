@NullMarked
package ai.gateway.api.kafka;

import org.jspecify.annotations.NullMarked;
