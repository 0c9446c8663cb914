-- The aggregator's tables (DESIGN.md, "Data"); written only by its PostgreSQL writer, idempotently.

-- One row per distinct usage event (one provider call). event_id is text rather than uuid: a producer's
-- malformed id must not make a row that PostgreSQL rejects forever, which would stop every later row.
CREATE TABLE ai_usage (
    event_id          text        PRIMARY KEY,
    user_id           text        NOT NULL,
    job_id            text        NOT NULL,
    delivery          integer     NOT NULL,
    provider_attempt  integer     NOT NULL,
    provider          text        NOT NULL,
    model             text        NOT NULL,
    prompt_tokens     bigint      NOT NULL,
    completion_tokens bigint      NOT NULL,
    total_tokens      bigint      NOT NULL,
    estimated         boolean     NOT NULL,
    cost_micro_usd    bigint      NOT NULL,
    price_known       boolean     NOT NULL,
    outcome           text        NOT NULL,
    error_code        text,
    batch_id          text,
    occurred_at       timestamptz NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now()
);

-- A user's usage over a time range (GET /v1/usage?from=&to=).
CREATE INDEX ai_usage_user_occurred_at ON ai_usage (user_id, occurred_at);

-- Absolute totals per user, UTC day, provider and model, as the topology computed them.
CREATE TABLE ai_usage_daily_totals (
    user_id            text        NOT NULL,
    day                date        NOT NULL,
    provider           text        NOT NULL,
    model              text        NOT NULL,
    requests           bigint      NOT NULL,
    prompt_tokens      bigint      NOT NULL,
    completion_tokens  bigint      NOT NULL,
    total_tokens       bigint      NOT NULL,
    cost_micro_usd     bigint      NOT NULL,
    estimated_requests bigint      NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (user_id, day, provider, model)
);
