-- Batches (POST /v1/batches). The gateway is the one writer: it stores a batch's items while it reads the body,
-- feeds them to ai.batch-jobs at most K in flight per user, and materializes their states from ai.job-status.
--
-- state is the gateway's bookkeeping of the batch, not its API status (that is derived from the items):
--   receiving  the body is being read; never shown, never fed; deleted when the body is rejected, and by the
--              feeder when its gateway died during the upload
--   active     accepted (202): shown and fed
create table batches (
  id               uuid primary key,                      -- UUIDv7: sorts by creation
  user_id          text not null references users (id) on delete cascade,
  state            text not null default 'receiving' check (state in ('receiving', 'active')),
  total            int not null default 0,
  callback_url     text,
  cancel_requested boolean not null default false,
  created_at       timestamptz not null,
  completed_at     timestamptz,
  -- The database's clock: when the row last changed state (the age of an abandoned upload).
  updated_at       timestamptz not null default now()
);

-- The feeder's users: batches with items left to feed.
create index batches_feeding on batches (user_id) where state = 'active' and completed_at is null;
create index batches_receiving on batches (updated_at) where state = 'receiving';

-- Completion order of the items: GET /v1/batches/{id}/results lists finished items by it.
create sequence batch_item_finish_order;

-- One row per request of a batch; each is a GenerationJob of kind BATCH with its own job id.
--   queued      stored, not yet claimed by a feeder
--   dispatched  claimed by a feeder (published when published = true): counts against the user's K
--   running     a worker reported RUNNING: counts against K
--   succeeded, failed, cancelled: finished; finish_order set
create table batch_items (
  job_id        uuid primary key,
  batch_id      uuid not null references batches (id) on delete cascade,
  user_id       text not null,
  seq           int not null,                           -- 1-based position in the submitted body
  custom_id     text not null,
  -- The GenerationJob as published (Avro single-object encoding): a republish sends the same bytes.
  request       bytea not null,
  status        text not null default 'queued'
                check (status in ('queued', 'dispatched', 'running', 'succeeded', 'failed', 'cancelled')),
  published     boolean not null default false,
  dispatched_at timestamptz,
  attempt       int not null default 0,
  result        jsonb,
  error         jsonb,
  finish_order  bigint,
  finished_at   timestamptz,
  constraint batch_items_custom_id unique (batch_id, custom_id)
);

-- The feeder's claim: a user's queued items in batch and submission order.
create index batch_items_queued on batch_items (user_id, batch_id, seq) where status = 'queued';
-- A user's items in flight (the K bound).
create index batch_items_in_flight on batch_items (user_id) where status in ('dispatched', 'running');
-- Items claimed whose publish was never confirmed (a gateway died between claim and publish).
create index batch_items_unpublished on batch_items (dispatched_at) where status = 'dispatched' and not published;
-- Whether a batch has unfinished items (its completion).
create index batch_items_open on batch_items (batch_id) where status in ('queued', 'dispatched', 'running');
-- Results in completion order.
create index batch_items_results on batch_items (batch_id, finish_order) where finish_order is not null;
