-- Row level security: members read their own client's rows, nothing else; no
-- insert/update/delete policies, so writes need the service role (the functions).

-- security definer: the membership lookup must not itself be filtered by RLS
-- (the client_memberships policy uses it, which would recurse).
create function public.is_client_member(p_client_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.client_memberships m
      where m.client_id = p_client_id and m.user_id = auth.uid()
    )
  $$;

create function public.can_read_container(p_container_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.sgtm_containers c
      join public.client_memberships m on m.client_id = c.client_id
      where c.id = p_container_id and m.user_id = auth.uid()
    )
  $$;

create function public.can_read_site(p_site_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.sites s
      join public.sgtm_containers c on c.id = s.container_id
      join public.client_memberships m on m.client_id = c.client_id
      where s.id = p_site_id and m.user_id = auth.uid()
    )
  $$;

revoke all on function public.is_client_member(uuid), public.can_read_container(uuid), public.can_read_site(uuid)
  from public;
grant execute on function public.is_client_member(uuid), public.can_read_container(uuid), public.can_read_site(uuid)
  to anon, authenticated, service_role;

alter table public.clients enable row level security;
alter table public.client_memberships enable row level security;
alter table public.plans enable row level security;
alter table public.sgtm_containers enable row level security;
alter table public.subscriptions enable row level security;
alter table public.port_pool enable row level security;
alter table public.sites enable row level security;
alter table public.site_domains enable row level security;
alter table public.loader_sessions enable row level security;
alter table public.sgtm_usage_daily_cf enable row level security;
alter table public.edge_sync_state enable row level security;
alter table public.edge_sync_outbox enable row level security;

create policy clients_member_read on public.clients
  for select to authenticated using (public.is_client_member(id));
create policy client_memberships_member_read on public.client_memberships
  for select to authenticated using (public.is_client_member(client_id));
create policy plans_read on public.plans
  for select to authenticated using (true);
create policy sgtm_containers_member_read on public.sgtm_containers
  for select to authenticated using (public.is_client_member(client_id));
create policy subscriptions_member_read on public.subscriptions
  for select to authenticated using (public.can_read_container(container_id));
create policy sites_member_read on public.sites
  for select to authenticated using (public.can_read_container(container_id));
create policy site_domains_member_read on public.site_domains
  for select to authenticated using (public.can_read_site(site_id));
create policy loader_sessions_member_read on public.loader_sessions
  for select to authenticated using (public.can_read_container(container_id));
create policy sgtm_usage_daily_cf_member_read on public.sgtm_usage_daily_cf
  for select to authenticated using (public.can_read_container(container_id));
create policy edge_sync_state_member_read on public.edge_sync_state
  for select to authenticated using (public.can_read_container(container_id));
-- port_pool and edge_sync_outbox: no policy, internal to the functions.

-- Grants mirror a hosted project (API roles may select; RLS decides which rows)
-- minus writes and TRUNCATE, which RLS does not govern.
grant select on all tables in schema public to anon, authenticated;
revoke insert, update, delete, truncate, references, trigger on all tables in schema public from anon, authenticated;
grant all on all tables in schema public to service_role;
grant usage, select on all sequences in schema public to service_role;
