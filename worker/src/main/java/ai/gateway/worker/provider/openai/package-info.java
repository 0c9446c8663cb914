@NullMarked
package ai.gateway.worker.provider.openai;

import org.jspecify.annotations.NullMarked;
