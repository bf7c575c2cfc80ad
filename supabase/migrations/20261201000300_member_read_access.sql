-- What members read, narrowed to what they need (security issue 11). RLS decides which
-- rows; column privileges decide which fields of them:
--   sgtm_containers: not origin, origin_secret or container_config_b64 (infrastructure
--     and secrets; an owner or admin reads container_config_b64 through
--     public.container_config_b64(), which they supplied in the first place);
--   sites: not forward_secret (owners and admins configure their proxy with it:
--     public.site_forward_secret());
--   edge_sync_state.last_error: the functions store only an error code there, never the
--     edge's body (a route_conflict names the host of whoever holds it); rows written
--     before are cut to that code below.
-- Column grants fail closed: a column added later is unreadable until granted.

create function public.can_manage_container(p_container_id uuid) returns boolean
  language sql stable security definer
  set search_path = ''
  as $$
    select exists (
      select 1 from public.sgtm_containers c
      join public.client_memberships m on m.client_id = c.client_id
      where c.id = p_container_id and m.user_id = auth.uid() and m.role in ('owner', 'admin')
    )
  $$;

create function public.container_config_b64(p_container_id uuid) returns text
  language sql stable security definer
  set search_path = ''
  as $$
    select c.container_config_b64 from public.sgtm_containers c
    where c.id = p_container_id and public.can_manage_container(c.id)
  $$;

create function public.site_forward_secret(p_site_id uuid) returns text
  language sql stable security definer
  set search_path = ''
  as $$
    select s.forward_secret from public.sites s
    where s.id = p_site_id and public.can_manage_container(s.container_id)
  $$;

revoke all on function public.can_manage_container(uuid), public.container_config_b64(uuid),
  public.site_forward_secret(uuid) from public, anon;
grant execute on function public.can_manage_container(uuid), public.container_config_b64(uuid),
  public.site_forward_secret(uuid) to authenticated, service_role;

revoke select on public.sgtm_containers from anon, authenticated;
grant select (id, client_id, name, status, config_version, loader_token, edge_hostname, modules, cookie_keeper,
              paused_reason, paused_at, created_by, created_at, updated_at)
  on public.sgtm_containers to anon, authenticated;

revoke select on public.sites from anon, authenticated;
grant select (id, container_id, primary_host, cookie_domain, container_token, web_gtm_id, created_at,
              endpoint_key, previous_endpoint_key, endpoint_rotated_at, path_prefix)
  on public.sites to anon, authenticated;

update public.edge_sync_state set last_error = split_part(last_error, ':', 1) where last_error like '%:%';
