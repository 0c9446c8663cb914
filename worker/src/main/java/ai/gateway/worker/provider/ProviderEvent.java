package ai.gateway.worker.provider;

/** What a provider stream carries: text, the provider's token counts, and how the answer ended. */
public sealed interface ProviderEvent permits TextDelta, UsageReport, Finished {
}
