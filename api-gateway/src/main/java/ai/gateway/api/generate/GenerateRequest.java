package ai.gateway.api.generate;

import io.swagger.v3.oas.annotations.media.Schema;
import org.jspecify.annotations.Nullable;

/**
 * The generate request as sent. Every field is nullable here so a missing field is reported by the
 * validator with its name, rather than by the binder; {@link GenerateRequestValidator} turns it into
 * {@link GenerationParams}.
 */
@Schema(name = "GenerateRequest", description = "Unknown fields are rejected.")
public record GenerateRequest(
    @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "Non-blank; with systemPrompt at most 100,000 Unicode code points")
    @Nullable String prompt,
    @Nullable String systemPrompt,
    @Schema(allowableValues = {"openai", "anthropic", "gemini"}, description = "Absent: the first configured in fallback order")
    @Nullable String provider,
    @Schema(description = "Absent: the provider's default model")
    @Nullable String model,
    @Schema(minimum = "1", maximum = "4096", defaultValue = "1024")
    @Nullable Integer maxTokens,
    @Schema(minimum = "0", maximum = "2", defaultValue = "0.7", description = "At most 1 for anthropic")
    @Nullable Double temperature) {
}
