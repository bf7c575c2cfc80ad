-- Control plane tables. Every table has RLS enabled: members of a client read
-- their own client's rows; all writes go through the functions (service role).

create table public.clients (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

create table public.client_memberships (
  client_id uuid not null references public.clients (id) on delete cascade,
  user_id uuid not null,
  role text not null check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  primary key (client_id, user_id)
);
create index client_memberships_user_idx on public.client_memberships (user_id);

-- entitlements: which EdgeConfig modules the plan allows, e.g. {"sgtm_proxy":true,...};
-- a missing key means not entitled. monthly_request_limit null = unlimited.
create table public.plans (
  id text primary key check (id ~ '^[a-z0-9_-]{1,64}$'),
  name text not null,
  monthly_request_limit bigint check (monthly_request_limit is null or monthly_request_limit >= 1),
  entitlements jsonb not null default '{}' check (jsonb_typeof(entitlements) = 'object'),
  -- the plan billing moves an auto_upgrade subscription to when the limit is reached
  upgrade_plan_id text references public.plans (id),
  created_at timestamptz not null default now()
);

create table public.sgtm_containers (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  status text not null default 'provisioning'
    check (status in ('provisioning', 'active', 'failed', 'paused', 'deleted')),
  config_version integer not null default 1 check (config_version >= 1),
  loader_token text not null unique check (loader_token ~ '^[A-Za-z0-9_-]{16,128}$'),
  edge_hostname text not null unique check (edge_hostname = lower(edge_hostname)),
  -- sGTM origin base URL; null until the provisioner reports it
  origin text,
  -- what the customer switched on; the EdgeConfig enables a module only if the plan entitles it too
  modules jsonb not null default
    '{"sgtm_proxy":true,"gtm_recovery":true,"cookie_keeper":true,"adblock_itp_detection":true,"custom_domain":true}'
    check (jsonb_typeof(modules) = 'object'),
  -- opaque sGTM CONTAINER_CONFIG, passed to the provisioner, never parsed here
  container_config_b64 text,
  -- EdgeConfig cookie_keeper section; null = schema defaults
  cookie_keeper jsonb check (cookie_keeper is null or jsonb_typeof(cookie_keeper) = 'object'),
  paused_reason text,
  paused_at timestamptz,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index sgtm_containers_client_idx on public.sgtm_containers (client_id);

create table public.subscriptions (
  id uuid primary key default gen_random_uuid(),
  container_id uuid not null references public.sgtm_containers (id) on delete cascade,
  plan_id text not null references public.plans (id),
  status text not null default 'active' check (status in ('active', 'past_due', 'canceled')),
  auto_upgrade boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- at most one live subscription per container: the one the EdgeConfig plan comes from
create unique index subscriptions_live_container_idx on public.subscriptions (container_id)
  where status <> 'canceled';
create index subscriptions_plan_idx on public.subscriptions (plan_id);

create table public.port_pool (
  port integer primary key check (port between 1 and 65535),
  container_id uuid references public.sgtm_containers (id) on delete set null,
  allocated_at timestamptz,
  check ((container_id is null) = (allocated_at is null))
);
create index port_pool_container_idx on public.port_pool (container_id);

create table public.sites (
  id uuid primary key default gen_random_uuid(),
  container_id uuid not null references public.sgtm_containers (id) on delete cascade,
  primary_host text not null check (primary_host = lower(primary_host)),
  cookie_domain text not null check (cookie_domain = lower(cookie_domain)),
  container_token text not null unique check (container_token ~ '^[A-Za-z0-9_-]{16,128}$'),
  web_gtm_id text not null check (web_gtm_id ~ '^GTM-[A-Z0-9]{4,12}$'),
  created_at timestamptz not null default now()
);
create index sites_container_idx on public.sites (container_id);

-- Every public hostname of a site, its primary host included (is_primary), so
-- the unique index makes a hostname belong to one site platform-wide.
create table public.site_domains (
  id uuid primary key default gen_random_uuid(),
  site_id uuid not null references public.sites (id) on delete cascade,
  hostname text not null unique check (hostname = lower(hostname)),
  is_primary boolean not null default false,
  verification_state text not null default 'pending'
    check (verification_state in ('pending', 'verified', 'failed')),
  verified boolean generated always as (verification_state = 'verified') stored,
  verified_at timestamptz,
  created_at timestamptz not null default now()
);
create index site_domains_site_idx on public.site_domains (site_id);
create unique index site_domains_one_primary_idx on public.site_domains (site_id) where is_primary;

create table public.loader_sessions (
  session_id text primary key check (length(session_id) between 1 and 128),
  container_id uuid not null references public.sgtm_containers (id) on delete cascade,
  adblock boolean not null,
  itp boolean not null,
  detected_at timestamptz not null default now(),
  received_at timestamptz not null default now()
);
create index loader_sessions_container_idx on public.loader_sessions (container_id, detected_at);

-- Daily request counts as the edge (Cloudflare) measured them.
create table public.sgtm_usage_daily_cf (
  container_id uuid not null references public.sgtm_containers (id) on delete cascade,
  day date not null,
  requests bigint not null default 0 check (requests >= 0),
  updated_at timestamptz not null default now(),
  primary key (container_id, day)
);

-- What the edge last confirmed for each container.
create table public.edge_sync_state (
  container_id uuid primary key references public.sgtm_containers (id) on delete cascade,
  synced_version integer,
  synced_at timestamptz,
  last_error text,
  attempts integer not null default 0,
  updated_at timestamptz not null default now()
);

-- Containers whose EdgeConfig changed and must be pushed; one pending row per container.
create table public.edge_sync_outbox (
  id bigint generated always as identity primary key,
  container_id uuid not null references public.sgtm_containers (id) on delete cascade,
  config_version integer not null,
  status text not null default 'pending' check (status in ('pending', 'done', 'skipped')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now(),
  completed_at timestamptz
);
create unique index edge_sync_outbox_pending_idx on public.edge_sync_outbox (container_id)
  where status = 'pending';
create index edge_sync_outbox_due_idx on public.edge_sync_outbox (next_attempt_at)
  where status = 'pending';

-- Plans every environment needs; prices and limits are product data, editable later.
insert into public.plans (id, name, monthly_request_limit, entitlements, upgrade_plan_id) values
  ('business', 'Business', null,
   '{"sgtm_proxy":true,"gtm_recovery":true,"cookie_keeper":true,"adblock_itp_detection":true,"custom_domain":true}', null),
  ('pro', 'Pro', 10000000,
   '{"sgtm_proxy":true,"gtm_recovery":true,"cookie_keeper":true,"adblock_itp_detection":true,"custom_domain":true}', 'business'),
  ('starter', 'Starter', 1000000,
   '{"sgtm_proxy":true,"gtm_recovery":true,"cookie_keeper":true,"adblock_itp_detection":false,"custom_domain":false}', 'pro'),
  ('free', 'Free', 100000,
   '{"sgtm_proxy":true,"gtm_recovery":false,"cookie_keeper":false,"adblock_itp_detection":false,"custom_domain":false}', 'starter');
