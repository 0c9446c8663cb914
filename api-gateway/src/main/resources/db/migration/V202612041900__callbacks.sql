-- Callbacks of async jobs (docs/jobs.md, "Callbacks"). Written only by the gateway.
--
-- callback_state, null while the job has no callback or has not ended:
--   pending    the job ended (set in the same UPDATE that applied its first terminal state); its delivery
--              record may not be on ai.callbacks yet: the materializer publishes it, then marks it enqueued
--   enqueued   the delivery record is on ai.callbacks; attempts are being made
--   delivered  an attempt was answered 2xx
--   failed     given up: attempts exhausted, or the receiver answered 410 Gone
alter table jobs
  add column callback_state       text check (callback_state in ('pending', 'enqueued', 'delivered', 'failed')),
  -- Attempts made (claimed) so far; the claim is a conditional UPDATE, so a redelivered record makes none.
  add column callback_attempts    int not null default 0,
  -- The last attempt's HTTP status ("200", "302", "500") or blocked, timeout, unreachable.
  add column callback_last_status text;
