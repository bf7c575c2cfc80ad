-- Scheduled jobs (hosted Supabase): pg_cron + pg_net call the functions with the
-- service role key. Skipped where the extensions are not available (PGlite,
-- plain Postgres): locally scripts/dev drives the same work with a timer.
-- The project URL and key come from Supabase Vault secrets `project_url` and
-- `service_role_key` (create them once per project), never from this file.
do $$
begin
  if not exists (select 1 from pg_available_extensions where name = 'pg_cron')
     or not exists (select 1 from pg_available_extensions where name = 'pg_net') then
    raise notice 'pg_cron/pg_net not available: schedules not installed';
    return;
  end if;
  create extension if not exists pg_cron;
  create schema if not exists extensions;
  create extension if not exists pg_net with schema extensions;

  create or replace function public.call_control_plane_function(p_name text, p_body jsonb default '{}')
    returns bigint
    language sql
    security definer
    set search_path = ''
    as $fn$
      select net.http_post(
        url := (select decrypted_secret from vault.decrypted_secrets where name = 'project_url')
               || '/functions/v1/' || p_name,
        headers := jsonb_build_object(
          'Content-Type', 'application/json',
          'Authorization', 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'service_role_key')),
        body := p_body)
    $fn$;
  revoke all on function public.call_control_plane_function(text, jsonb) from public, anon, authenticated;

  perform cron.schedule('nightly-drift-check', '17 3 * * *',
    $job$ select public.call_control_plane_function('nightly-drift-check') $job$);
  perform cron.schedule('billing-usage', '*/15 * * * *',
    $job$ select public.call_control_plane_function('billing-usage') $job$);
  -- Drain the outbox: one sync call per due container (sync-edge-config completes the row).
  perform cron.schedule('edge-sync-outbox', '* * * * *',
    $job$ select public.call_control_plane_function('sync-edge-config', jsonb_build_object('container_id', o.container_id))
          from public.edge_sync_outbox o
          where o.status = 'pending' and o.next_attempt_at <= now()
          order by o.next_attempt_at limit 50 $job$);
end
$$;
