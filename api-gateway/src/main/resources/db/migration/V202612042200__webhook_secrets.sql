-- Each user's webhook signing secret (DESIGN "Webhooks": GET /v1/webhook-secret creates one on first use,
-- POST /v1/webhook-secret/rotate replaces it). Stored encrypted (AES-256-GCM, nonce || ciphertext) under a key
-- derived from gateway.callbacks.signing-secret, so a copy of the database alone signs nothing. After a
-- rotation the previous secret still signs callbacks (a second signature) until previous_expires_at, so
-- receivers can switch without dropping one.
create table webhook_secrets (
  user_id             text primary key references users (id) on delete cascade,
  secret              bytea not null,
  previous_secret     bytea,
  previous_expires_at timestamptz,
  created_at          timestamptz not null default now(),
  rotated_at          timestamptz
);
