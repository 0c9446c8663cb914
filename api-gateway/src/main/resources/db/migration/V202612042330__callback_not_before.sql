-- A receiver that answered 429 or 503 with Retry-After is not called again before then: an attempt that comes
-- due earlier is passed on to the next retry slot without being made.
alter table jobs add column callback_not_before timestamptz;
alter table batches add column callback_not_before timestamptz;
