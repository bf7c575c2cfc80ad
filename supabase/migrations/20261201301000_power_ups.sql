-- Power-ups (docs/power-ups.md, issue 17): what the customer switched on per container
-- (sgtm_containers.power_ups, the EdgeConfig power_ups section as set; null = none), and
-- what each plan includes (plans.entitlements, one key per power-up, like the modules):
-- the builder pushes a power-up only when both say so. plans.overage_percent is the soft
-- quota: a container pauses at its limit plus that share (0 = at the limit, as before).

alter table public.plans
  add column overage_percent integer not null default 0 check (overage_percent between 0 and 50);

alter table public.sgtm_containers
  add column power_ups jsonb check (power_ups is null or jsonb_typeof(power_ups) = 'object');

-- power_ups is part of the EdgeConfig: a change is a new version (a trigger of its own, like
-- sgtm_containers_secret_bump, so sgtm_containers_before_update stays as it is).
create function public.sgtm_containers_power_ups_bump() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if new.config_version = old.config_version and new.power_ups is distinct from old.power_ups then
      new.config_version := old.config_version + 1;
    end if;
    return new;
  end
  $$;

create trigger sgtm_containers_power_ups_bump
  before update on public.sgtm_containers
  for each row execute function public.sgtm_containers_power_ups_bump();

-- A plan's overage share is in every subscribed container's EdgeConfig (plan.overage_percent).
create function public.plans_overage_bump_config_version() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if new.overage_percent is distinct from old.overage_percent then
      perform public.bump_config_version(s.container_id)
        from public.subscriptions s
        where s.plan_id = new.id and s.status <> 'canceled';
    end if;
    return null;
  end
  $$;

create trigger plans_overage_bump_config_version
  after update on public.plans
  for each row execute function public.plans_overage_bump_config_version();

-- What each plan includes. A missing key means not included, as for modules.
update public.plans set entitlements = entitlements || jsonb_build_object(
    'bot_filter', id in ('business', 'pro', 'starter'),
    'blocked_ips', id in ('business', 'pro', 'starter'),
    'preview_header', id in ('business', 'pro', 'starter'),
    'device_geo_headers', id in ('business', 'pro'),
    'anonymizer', id in ('business', 'pro'),
    'click_id_restore', id in ('business', 'pro'))
  where id in ('business', 'pro', 'starter', 'free');
