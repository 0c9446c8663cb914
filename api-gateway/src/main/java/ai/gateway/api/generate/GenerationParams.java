package ai.gateway.api.generate;

import org.jspecify.annotations.Nullable;

/** A validated generate request with the defaults applied: what goes into the job. */
public record GenerationParams(String prompt, @Nullable String systemPrompt, @Nullable String provider, @Nullable String model,
                        int maxTokens, double temperature) {
}
