-- Idempotency-Key records of POST sgtm-containers: one row per (user, key).
-- The row is written in the same transaction as the container it guards, so a
-- key never exists without its work; response_body stays null while the
-- request is still running (provisioning) and holds the 201 body after.
-- A request that failed (4xx/5xx) leaves no row: the client may retry the key.
create table public.idempotency_keys (
  user_id uuid not null,
  key text not null check (length(key) between 1 and 255),
  scope text not null check (scope ~ '^[a-z0-9_.:-]{1,64}$'),
  request_hash text not null check (request_hash ~ '^[0-9a-f]{64}$'),
  response_status integer check (response_status between 200 and 599),
  response_body jsonb,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  primary key (user_id, scope, key),
  check ((response_body is null) = (response_status is null))
);
create index idempotency_keys_created_idx on public.idempotency_keys (created_at);

-- Internal to the functions (service role): no policy, so API roles see nothing.
alter table public.idempotency_keys enable row level security;
revoke all on public.idempotency_keys from anon, authenticated;
grant all on public.idempotency_keys to service_role;
