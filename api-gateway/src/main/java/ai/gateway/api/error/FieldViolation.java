package ai.gateway.api.error;

/**
 * One invalid field of a request: its JSON path ({@code maxTokens}, {@code usage.totalTokens},
 * {@code items[3].prompt}) and a message written by the gateway, never the rejected value.
 */
public record FieldViolation(String field, String message) {
}
