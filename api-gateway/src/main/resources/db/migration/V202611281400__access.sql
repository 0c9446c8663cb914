-- Who may call and how much: users, plans, entitlements, API keys, and the shared rate limiter's state.
-- Plans and what they entitle are data: an operator changes them with SQL, without a release. The gateway
-- asks only "does this user's plan grant ai_access".

create table plans (
  id         text primary key,
  name       text not null,
  created_at timestamptz not null default now()
);

create table entitlements (
  id          text primary key,
  description text not null
);

create table plan_entitlements (
  plan_id        text not null references plans (id) on delete cascade,
  entitlement_id text not null references entitlements (id) on delete cascade,
  primary key (plan_id, entitlement_id)
);

create table users (
  id         text primary key,                 -- the JWT sub
  email      text,
  plan_id    text not null references plans (id),
  -- A disabled user's JWTs and API keys are refused (401); set by an operator.
  disabled   boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table api_keys (
  id         uuid primary key,
  user_id    text not null references users (id) on delete cascade,
  -- SHA-256 of the whole key. A key carries 256 random bits, so there is no dictionary to try against a
  -- leaked hash and a slow password hash (bcrypt, argon2) would only add its cost to every request; an
  -- exact hash also lets the key be found through this unique index, never by comparing secrets in SQL.
  key_hash   bytea not null unique,
  -- The first characters of the key, so an owner can tell keys apart in a listing; never enough to use.
  prefix     text not null,
  label      text,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create index api_keys_by_user on api_keys (user_id);

-- The PostgreSQL rate limiter: one row per user holding a sliding log, the times (microseconds since the
-- epoch, by the database's clock) of the creations admitted within the longest window, oldest first. A
-- check locks the row, so checks for one user across all gateway instances run one after another.
create table rate_limiter_state (
  user_id     text primary key,
  admitted_us bigint[] not null,
  updated_at  timestamptz not null default now()
);

insert into plans (id, name) values ('free', 'Free'), ('pro', 'Pro');
insert into entitlements (id, description) values ('ai_access', 'Use of the AI generation endpoints');
insert into plan_entitlements (plan_id, entitlement_id) values ('pro', 'ai_access');
