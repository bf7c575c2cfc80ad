-- config_version: strictly increasing per container, bumped by every change that
-- alters the container's EdgeConfig; each bump of a live container enqueues an
-- edge_sync_outbox row. Pause state is not part of the EdgeConfig (billing
-- pushes it through the admin pause/resume calls), so it does not bump.

create function public.edge_config_live(status text) returns boolean
  language sql immutable
  as $$ select status in ('active', 'paused') $$;

create function public.enqueue_edge_sync(p_container_id uuid, p_version integer) returns void
  language sql
  set search_path = ''
  as $$
    insert into public.edge_sync_outbox (container_id, config_version)
    values (p_container_id, p_version)
    on conflict (container_id) where status = 'pending'
    do update set config_version = greatest(public.edge_sync_outbox.config_version, excluded.config_version),
                  next_attempt_at = least(public.edge_sync_outbox.next_attempt_at, now());
  $$;

create function public.bump_config_version(p_container_id uuid) returns void
  language sql
  set search_path = ''
  as $$ update public.sgtm_containers set config_version = config_version + 1 where id = p_container_id $$;

-- BEFORE UPDATE on sgtm_containers: own EdgeConfig fields changed -> next version.
-- An explicit config_version change (from a child trigger) is kept, never lowered.
create function public.sgtm_containers_before_update() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if new.config_version < old.config_version then
      raise exception 'config_version may not decrease (% -> %)', old.config_version, new.config_version
        using errcode = 'check_violation';
    end if;
    if new.config_version = old.config_version and (
         new.client_id is distinct from old.client_id
      or new.origin is distinct from old.origin
      or new.modules is distinct from old.modules
      or new.loader_token is distinct from old.loader_token
      or new.edge_hostname is distinct from old.edge_hostname
      or new.cookie_keeper is distinct from old.cookie_keeper) then
      new.config_version := old.config_version + 1;
    end if;
    new.updated_at := now();
    return new;
  end
  $$;

create trigger sgtm_containers_before_update
  before update on public.sgtm_containers
  for each row execute function public.sgtm_containers_before_update();

-- AFTER UPDATE: a new version of a live container, or a container going live, is pushed.
create function public.sgtm_containers_after_update() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if public.edge_config_live(new.status)
       and (new.config_version > old.config_version or not public.edge_config_live(old.status)) then
      perform public.enqueue_edge_sync(new.id, new.config_version);
    end if;
    return null;
  end
  $$;

create trigger sgtm_containers_after_update
  after update on public.sgtm_containers
  for each row execute function public.sgtm_containers_after_update();

create function public.sites_bump_config_version() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if tg_op in ('UPDATE', 'DELETE') then
      perform public.bump_config_version(old.container_id);
    end if;
    if tg_op in ('INSERT', 'UPDATE') and (tg_op = 'INSERT' or new.container_id is distinct from old.container_id) then
      perform public.bump_config_version(new.container_id);
    end if;
    return null;
  end
  $$;

create trigger sites_bump_config_version
  after insert or update or delete on public.sites
  for each row execute function public.sites_bump_config_version();

create function public.site_domains_bump_config_version() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if tg_op in ('UPDATE', 'DELETE') then
      perform public.bump_config_version(s.container_id) from public.sites s where s.id = old.site_id;
    end if;
    if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.site_id is distinct from old.site_id) then
      perform public.bump_config_version(s.container_id) from public.sites s where s.id = new.site_id;
    end if;
    return null;
  end
  $$;

create trigger site_domains_bump_config_version
  after insert or update or delete on public.site_domains
  for each row execute function public.site_domains_bump_config_version();

create function public.subscriptions_bump_config_version() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if tg_op = 'UPDATE' and new.container_id = old.container_id
       and new.plan_id = old.plan_id and new.status = old.status
       and new.auto_upgrade = old.auto_upgrade then
      return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
      perform public.bump_config_version(old.container_id);
    end if;
    if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.container_id <> old.container_id) then
      perform public.bump_config_version(new.container_id);
    end if;
    return null;
  end
  $$;

create trigger subscriptions_bump_config_version
  after insert or update or delete on public.subscriptions
  for each row execute function public.subscriptions_bump_config_version();

create function public.subscriptions_touch() returns trigger
  language plpgsql
  as $$ begin new.updated_at := now(); return new; end $$;

create trigger subscriptions_touch
  before update on public.subscriptions
  for each row execute function public.subscriptions_touch();

-- A plan's limit or entitlements change every container subscribed to it.
create function public.plans_bump_config_version() returns trigger
  language plpgsql
  set search_path = ''
  as $$
  begin
    if new.monthly_request_limit is distinct from old.monthly_request_limit
       or new.entitlements is distinct from old.entitlements then
      perform public.bump_config_version(s.container_id)
        from public.subscriptions s
        where s.plan_id = new.id and s.status <> 'canceled';
    end if;
    return null;
  end
  $$;

create trigger plans_bump_config_version
  after update on public.plans
  for each row execute function public.plans_bump_config_version();
