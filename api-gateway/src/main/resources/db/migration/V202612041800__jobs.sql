-- Async jobs (POST /v1/jobs). The gateway is the one writer: it inserts a row before publishing the job, and
-- materializes the job's state from ai.job-status into it, only forward (queued -> running -> terminal; the
-- first terminal state wins).
--
-- accept_state is the gateway's own bookkeeping of the submission, not the job's state:
--   accepting  inserted, publish not confirmed yet: a retry with the same Idempotency-Key answers 409
--   published  on ai.jobs; the only rows the API shows
--   rejected   the publish failed (503) or a crash left the row accepting (the sweeper): never shown; a retry
--              with the same key and body republishes this same job id, so a record Kafka did write despite
--              the failure is not run twice under two ids
create table jobs (
  id              uuid primary key,                       -- UUIDv7: sorts by creation
  user_id         text not null references users (id) on delete cascade,
  status          text not null default 'queued'
                  check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  accept_state    text not null default 'accepting'
                  check (accept_state in ('accepting', 'published', 'rejected')),
  -- The GenerationJob as published (Avro single-object encoding), for a republish under the same id.
  request         bytea not null,
  metadata        jsonb,
  callback_url    text,
  idempotency_key text check (idempotency_key ~ '^[A-Za-z0-9_-]{1,255}$'),
  -- SHA-256 of the normalized request: same key with another body is 422.
  request_hash    bytea not null,
  result          jsonb,
  error           jsonb,
  attempt         int not null default 0,
  created_at      timestamptz not null,
  started_at      timestamptz,
  finished_at     timestamptz,
  -- The database's clock: when the row last changed accept_state or status (the sweeper's ages).
  updated_at      timestamptz not null default now(),
  -- Two requests with one key race to this constraint (INSERT ... ON CONFLICT), never to a prior SELECT.
  -- Rows without a key (NULL) never conflict.
  constraint jobs_user_idempotency_key unique (user_id, idempotency_key)
);

-- GET /v1/jobs: the caller's jobs, newest first, after a cursor id.
create index jobs_by_user on jobs (user_id, id desc);
-- The sweeper: the few rows not (yet) published.
create index jobs_unpublished on jobs (updated_at) where accept_state <> 'published';
