/** Anthropic Messages: {@code POST {base}/v1/messages} with {@code stream: true}, {@code event:} + {@code data:} frames. */
@NullMarked
package ai.gateway.worker.provider.anthropic;

import org.jspecify.annotations.NullMarked;
