/**
 * A fake LLM provider on Reactor Netty: speaks the providers' HTTP wire formats, picks its behaviour from
 * reserved model names ({@code sim-*}) and records every call in a {@link ai.gateway.simulator.Ledger}.
 * One handler per wire format ({@code OpenAiHandler}, {@code AnthropicHandler}, {@code GeminiHandler}) parses
 * requests and renders frames on a provider-neutral core: {@code Responder} (plays an answer on the clock),
 * {@code Scenarios} (what a model name asks for), {@code Prompt} and {@code Answer} (deterministic token
 * accounting), {@code Timeline} (pacing on timers) and {@code Call} (the ledger record of one exchange).
 */
@NullMarked
package ai.gateway.simulator;

import org.jspecify.annotations.NullMarked;
