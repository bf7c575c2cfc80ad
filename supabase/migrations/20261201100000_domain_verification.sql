-- Domains you can trust (contract section 11): every hostname a client names
-- starts `pending` and routes only once a DNS check proved the client controls
-- it (TXT challenge) and points it at the platform (routing record).
--
-- States: pending (claimed, not proven) -> verified (routes); a pending claim
-- becomes `lost` when another container verifies the hostname and `expired`
-- after 7 days; a verified one becomes `lapsed` after 3 nightly re-checks in a
-- row found its routing record elsewhere. Only `verified` rows route, so only
-- they hold the hostname: the unique index is partial.

alter table public.site_domains drop constraint site_domains_hostname_key;
alter table public.site_domains drop constraint site_domains_verification_state_check;
alter table public.site_domains add constraint site_domains_verification_state_check
  check (verification_state in ('pending', 'verified', 'failed', 'lost', 'expired', 'lapsed'));

alter table public.site_domains
  -- the TXT value at _qaxal-challenge.<hostname>; random per claim, so a claim proves control of DNS now
  add column challenge text not null default replace(gen_random_uuid()::text, '-', '')
    check (challenge ~ '^[A-Za-z0-9_-]{16,128}$'),
  add column checked_at timestamptz,
  -- the last check's findings: [{"code","message"}], codes txt_missing, txt_mismatch,
  -- routing_missing, routing_elsewhere, caa_forbids_issuer, dns_error, activation_failed
  add column problems jsonb not null default '[]' check (jsonb_typeof(problems) = 'array'),
  -- nightly re-checks in a row whose routing record did not point at the platform
  add column routing_failures integer not null default 0 check (routing_failures >= 0),
  add column state_changed_at timestamptz not null default now(),
  -- the edge provider's record of the hostname (Cloudflare for SaaS custom hostname) and its own state
  add column provider_hostname_id text,
  add column provider_status text;

-- A hostname routes for one site platform-wide: unique among verified claims only,
-- so a pending claim (possibly a squatter's) never blocks the hostname's owner.
create unique index site_domains_verified_hostname_idx on public.site_domains (hostname)
  where verification_state = 'verified';
-- One live (pending or verified) claim per hostname per site.
create unique index site_domains_site_hostname_live_idx on public.site_domains (site_id, hostname)
  where verification_state in ('pending', 'verified');
create index site_domains_hostname_idx on public.site_domains (hostname);
drop index public.site_domains_one_primary_idx;
create unique index site_domains_one_primary_idx on public.site_domains (site_id)
  where is_primary and verification_state in ('pending', 'verified');

-- Before this migration every primary host routed as soon as its container was
-- created: those keep routing (grandfathered as verified) and face the nightly
-- re-check like every verified hostname, which lapses one whose DNS does not
-- point at its container's edge hostname.
update public.site_domains d set verification_state = 'verified', verified_at = coalesce(d.verified_at, now())
  from public.sites s join public.sgtm_containers c on c.id = s.container_id
  where d.site_id = s.id and d.is_primary and d.verification_state = 'pending'
    and c.status in ('active', 'paused')
    and not exists (select 1 from public.site_domains v
                    where v.hostname = d.hostname and v.verification_state = 'verified');

-- Which column changes alter the EdgeConfig: only the state (verified or not) and
-- the hostname/site; check bookkeeping (checked_at, problems, counters) does not.
create or replace function public.site_domains_bump_config_version() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if tg_op = 'UPDATE' and new.site_id = old.site_id and new.hostname = old.hostname
       and new.is_primary = old.is_primary and new.verification_state = old.verification_state then
      return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
      perform public.bump_config_version(s.container_id) from public.sites s where s.id = old.site_id;
    end if;
    if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.site_id is distinct from old.site_id) then
      perform public.bump_config_version(s.container_id) from public.sites s where s.id = new.site_id;
    end if;
    return null;
  end
  $$;

grant all on all tables in schema public to service_role;

-- Nightly re-check of verified hostnames (domain-recheck), where pg_cron exists
-- (hosted; 20261123000400_schedules.sql made call_control_plane_function there).
do $$
begin
  if not exists (select 1 from pg_extension where extname = 'pg_cron')
     or to_regprocedure('public.call_control_plane_function(text, jsonb)') is null then
    raise notice 'pg_cron not installed: domain-recheck not scheduled';
    return;
  end if;
  perform cron.schedule('domain-recheck', '47 3 * * *',
    $job$ select public.call_control_plane_function('domain-recheck') $job$);
end
$$;
