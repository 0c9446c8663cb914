package ai.gateway.simulator;

import java.util.Map;

/**
 * A whole HTTP response in one provider's format: an error, or a non-stream answer.
 *
 * @param headers extra headers ({@code retry-after}, {@code request-id}, ...), the content type excluded
 */
record WireResponse(int status, String contentType, Map<String, String> headers, String body) {}
