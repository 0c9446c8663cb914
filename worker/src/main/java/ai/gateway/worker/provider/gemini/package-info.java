/**
 * Gemini {@code streamGenerateContent?alt=sse}: CRLF-framed {@code data:} chunks, each a whole
 * {@code GenerateContentResponse}.
 */
@NullMarked
package ai.gateway.worker.provider.gemini;

import org.jspecify.annotations.NullMarked;
