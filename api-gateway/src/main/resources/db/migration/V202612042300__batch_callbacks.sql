-- batch.completed callbacks (DESIGN "Webhooks"), delivered as jobs' are: made pending by the statement that
-- completes the batch, published on ai.callbacks by a feeder pass, each attempt claimed here so a duplicated
-- or redelivered record sends nothing twice.
alter table batches
  add column callback_state       text check (callback_state in ('pending', 'enqueued', 'delivered', 'failed')),
  add column callback_attempts    int not null default 0,
  add column callback_last_status text;
create index batches_callback_pending on batches (completed_at) where callback_state = 'pending';
