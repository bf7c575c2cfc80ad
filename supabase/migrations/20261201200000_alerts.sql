-- Alerts (issue 16): what the `alerts` job found wrong with a container, and where it tells
-- the client. One row per episode: `open` from the run that first saw the condition
-- (first_seen_at) until the run that no longer does (`resolved`, resolved_at); last_seen_at
-- is the latest run that still saw it. An episode is delivered twice at most per target:
-- once when it opens, once when it resolves (alert_deliveries' unique key), never per run.
--
-- kinds: quota_80, quota_100 (month's requests at 80% / 100% of the plan, or paused for the
-- limit), origin_down (the sGTM /healthy path failed N times in a row), origin_errors (5xx
-- share of the last 15 minutes' requests over a threshold), traffic_drop (the last hours far
-- below the same hours of the previous 7 days), domain_unverified (a hostname lapsed, or its
-- verification failed), config_drift (the nightly repair could not bring the edge in line).
-- `subject` tells apart episodes of one kind in one container (the hostname for domains).

create table public.alerts (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  container_id uuid not null references public.sgtm_containers (id) on delete cascade,
  kind text not null check (kind in
    ('quota_80', 'quota_100', 'origin_down', 'origin_errors', 'traffic_drop', 'domain_unverified', 'config_drift')),
  subject text not null default '' check (length(subject) <= 253),
  status text not null default 'open' check (status in ('open', 'resolved')),
  -- what the condition looked like (numbers, thresholds), last seen; shown to members
  details jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  resolved_at timestamptz,
  check ((status = 'resolved') = (resolved_at is not null))
);
-- One open episode per condition: the job's insert races end here, not in a second alert.
create unique index alerts_open_condition_idx on public.alerts (container_id, kind, subject) where status = 'open';
create index alerts_client_idx on public.alerts (client_id, first_seen_at desc);

-- Where a client's alerts go. Webhooks get Slack-compatible JSON signed with `secret`
-- (X-Qaxal-Signature: sha256=HMAC-SHA256(secret, body) in hex); email goes through SMTP_URL.
create table public.alert_targets (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  kind text not null check (kind in ('webhook', 'email')),
  url text check (url is null or length(url) <= 2048),
  email text check (email is null or (length(email) <= 254 and email ~ '^[^@\s<>,;"]+@[^@\s<>,;"]+$')),
  -- 64 hex digits from two v4 UUIDs (244 random bits); self-contained, nothing else depends on it
  secret text not null default replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  check ((kind = 'webhook' and url is not null and email is null) or (kind = 'email' and email is not null and url is null))
);
create index alert_targets_client_idx on public.alert_targets (client_id);

-- The outbox of deliveries: written in the transaction that opens or resolves the alert
-- (so a crash loses none), sent until the target confirms (at-least-once; `id` is the
-- stable delivery id a receiver deduplicates on), with backoff, failed after max attempts.
create table public.alert_deliveries (
  id uuid primary key default gen_random_uuid(),
  alert_id uuid references public.alerts (id) on delete cascade,
  target_id uuid not null references public.alert_targets (id) on delete cascade,
  event text not null check (event in ('opened', 'resolved', 'test')),
  payload jsonb not null check (jsonb_typeof(payload) = 'object'),
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text check (last_error is null or length(last_error) <= 500),
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  check ((event = 'test') = (alert_id is null))
);
create unique index alert_deliveries_once_idx on public.alert_deliveries (alert_id, target_id, event) where alert_id is not null;
create index alert_deliveries_due_idx on public.alert_deliveries (next_attempt_at) where status = 'pending';

-- The control plane's own probe of each container's sGTM /healthy path (origin_down).
create table public.origin_health (
  container_id uuid primary key references public.sgtm_containers (id) on delete cascade,
  consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
  last_checked_at timestamptz not null default now(),
  -- null when the last probe passed; else what failed (status or network error), short
  last_error text check (last_error is null or length(last_error) <= 200)
);

-- What the nightly drift check last concluded per container (config_drift).
create table public.drift_checks (
  container_id uuid primary key references public.sgtm_containers (id) on delete cascade,
  verdict text not null check (verdict in ('in_sync', 'repaired', 'failed')),
  checked_at timestamptz not null default now()
);

alter table public.alerts enable row level security;
alter table public.alert_targets enable row level security;
alter table public.alert_deliveries enable row level security;
alter table public.origin_health enable row level security;
alter table public.drift_checks enable row level security;

-- Members read their client's alerts; owners and admins see their targets without the
-- signing secret (column grants, as in 20261201000300). Deliveries, probes and drift
-- verdicts are the functions' own.
create policy alerts_member_read on public.alerts
  for select to authenticated using (public.is_client_member(client_id));
create policy alert_targets_manager_read on public.alert_targets
  for select to authenticated using (
    exists (select 1 from public.client_memberships m
            where m.client_id = alert_targets.client_id and m.user_id = auth.uid() and m.role in ('owner', 'admin')));

revoke all on public.alerts, public.alert_targets, public.alert_deliveries, public.origin_health, public.drift_checks
  from anon, authenticated;
grant select on public.alerts to authenticated;
grant select (id, client_id, kind, url, email, enabled, created_at) on public.alert_targets to authenticated;
grant all on public.alerts, public.alert_targets, public.alert_deliveries, public.origin_health, public.drift_checks
  to service_role;

-- The job every 5 minutes where pg_cron exists (hosted; 20261123000400_schedules.sql).
do $$
begin
  if not exists (select 1 from pg_extension where extname = 'pg_cron')
     or to_regprocedure('public.call_control_plane_function(text, jsonb)') is null then
    raise notice 'pg_cron not installed: alerts not scheduled';
    return;
  end if;
  perform cron.schedule('alerts', '*/5 * * * *',
    $job$ select public.call_control_plane_function('alerts') $job$);
end
$$;
