-- The admin view of top users by cost scans a time range across all users (GET /admin/usage/top).
CREATE INDEX ai_usage_occurred_at ON ai_usage (occurred_at);
