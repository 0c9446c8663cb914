/**
 * Usage reads: {@code GET /v1/usage}, {@code GET /v1/usage/daily} (the caller's own), the admin views under
 * {@code /admin/usage}, and the {@link ai.gateway.api.usage.DailyTokens} port for per-plan token budgets.
 * The tables are the usage aggregator's ({@code ai_usage}, {@code ai_usage_daily_totals}); the gateway only
 * reads them, over R2DBC.
 */
@NullMarked
package ai.gateway.api.usage;

import org.jspecify.annotations.NullMarked;
