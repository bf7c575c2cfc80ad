-- The dashboard's read API (issue 16), for the operator dashboard and any customer-facing
-- app alike, through supabase-js: views over the tables, with security_invoker so the
-- caller's RLS and column privileges apply (a member sees their client's containers only;
-- the service role sees all). Alerts are read from public.alerts itself (its own RLS).

-- Per container: its plan's monthly limit and the month's requests as billing stored them.
create view public.container_quota with (security_invoker = true) as
  select c.id as container_id, c.client_id, c.name, c.status, c.paused_reason,
         s.plan_id, p.monthly_request_limit, s.auto_upgrade,
         (select coalesce(sum(u.requests), 0)::bigint from public.sgtm_usage_daily_cf u
           where u.container_id = c.id and u.day >= date_trunc('month', now() at time zone 'utc')::date) as month_requests
  from public.sgtm_containers c
  left join public.subscriptions s on s.container_id = c.id and s.status <> 'canceled'
  left join public.plans p on p.id = s.plan_id
  where c.status <> 'deleted';

-- Requests per UTC day as billing copied them from the edge.
create view public.container_usage_daily with (security_invoker = true) as
  select u.container_id, u.day, u.requests from public.sgtm_usage_daily_cf u;

-- Loader sessions of the last 30 days: how many had an ad blocker, ITP, either.
create view public.container_session_stats with (security_invoker = true) as
  select ls.container_id,
         count(*)::bigint as sessions,
         count(*) filter (where ls.adblock)::bigint as adblock_sessions,
         count(*) filter (where ls.itp)::bigint as itp_sessions,
         count(*) filter (where ls.adblock or ls.itp)::bigint as blocked_sessions
  from public.loader_sessions ls
  where ls.detected_at > now() - interval '30 days'
  group by ls.container_id;

-- Every hostname of a container and where it stands (contract section 11).
create view public.container_domain_states with (security_invoker = true) as
  select d.id, s.container_id, d.site_id, d.hostname, d.is_primary, d.verification_state as state,
         d.problems, d.checked_at, d.verified_at, d.state_changed_at, d.created_at
  from public.site_domains d
  join public.sites s on s.id = d.site_id;

revoke all on public.container_quota, public.container_usage_daily, public.container_session_stats,
  public.container_domain_states from public, anon;
grant select on public.container_quota, public.container_usage_daily, public.container_session_stats,
  public.container_domain_states to authenticated, service_role;
