/**
 * Rows that existed before the 2026-12-01 migrations get what they add: every container an
 * origin_secret, every site an endpoint_key (distinct, url-safe), live containers a new
 * config_version queued for the edge, old sync errors cut to their code. The migrations
 * are replayed on a schema taken back to before them, inside a transaction rolled back.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { dbTest, randomLabel, randomToken } from "../support/control-plane-db.ts";

const MIGRATIONS = ["20261201000100_origin_secret.sql", "20261201000200_site_endpoints.sql", "20261201000300_member_read_access.sql"];

/** Undoes the three migrations (nothing else depends on what they add). */
const BEFORE = `
  drop function public.container_config_b64(uuid), public.site_forward_secret(uuid), public.can_manage_container(uuid);
  grant select on public.sgtm_containers, public.sites to anon, authenticated;
  alter table public.sites drop column endpoint_key, drop column previous_endpoint_key, drop column endpoint_rotated_at,
    drop column path_prefix, drop column forward_secret;
  drop trigger sgtm_containers_secret_bump on public.sgtm_containers;
  drop function public.sgtm_containers_secret_bump();
  alter table public.sgtm_containers drop column origin_secret;
  drop function public.new_url_safe_token(integer);`;

class Rollback extends Error {}

dbTest("existing containers and sites get their secrets and keys from the migrations, and live ones are queued", async (sql) => {
  const texts = await Promise.all(MIGRATIONS.map((file) => Deno.readTextFile(new URL(`../../supabase/migrations/${file}`, import.meta.url))));
  await sql.begin(async (tx) => {
    await tx.unsafe(BEFORE);
    const [client] = await tx`insert into public.clients (name) values ('before') returning id`;
    const containers: Record<string, string> = {};
    for (const status of ["active", "provisioning"]) {
      const label = randomLabel();
      const [row] = await tx`
        insert into public.sgtm_containers (client_id, name, loader_token, edge_hostname, origin, status)
        values (${client!.id}, ${status}, ${randomToken("lt")}, ${`${label}.trqaxal.test`}, 'https://sgtm.example.net', ${status})
        returning id`;
      containers[status] = row!.id;
      for (const host of [`a.${label}.example.com`, `b.${label}.example.com`]) {
        await tx`
          insert into public.sites (container_id, primary_host, cookie_domain, container_token, web_gtm_id)
          values (${row!.id}, ${host}, ${host}, ${randomToken("ct")}, 'GTM-ABC123')`;
      }
    }
    await tx`
      insert into public.edge_sync_state (container_id, last_error, attempts)
      values (${containers.active!}, 'edge_rejected 409: {"error":"route_conflict","key":"host:shop.victim.example"}', 1)`;
    const versions = async () =>
      Object.fromEntries((await tx`select status, config_version from public.sgtm_containers where client_id = ${client!.id}`)
        .map((r) => [r.status, r.config_version]));
    const before = await versions();

    for (const text of texts) await tx.unsafe(text);

    const secrets = await tx`select origin_secret from public.sgtm_containers where client_id = ${client!.id}`;
    const keys = await tx`select s.endpoint_key from public.sites s join public.sgtm_containers c on c.id = s.container_id
                          where c.client_id = ${client!.id}`;
    assertEquals([secrets.length, keys.length], [2, 4]);
    for (const { origin_secret } of secrets) ok(/^[A-Za-z0-9_-]{43}$/.test(origin_secret), origin_secret);
    for (const { endpoint_key } of keys) ok(/^[A-Za-z0-9_-]{32}$/.test(endpoint_key), endpoint_key);
    assertEquals(new Set([...secrets.map((r) => r.origin_secret), ...keys.map((r) => r.endpoint_key)]).size, 6);

    const after = await versions();
    assertEquals([after.active - before.active, after.provisioning - before.provisioning], [2, 0]);
    const queued = await tx`
      select config_version from public.edge_sync_outbox where container_id = ${containers.active!} and status = 'pending'`;
    assertEquals(queued.map((r) => r.config_version), [after.active]);
    const [state] = await tx`select last_error from public.edge_sync_state where container_id = ${containers.active!}`;
    assertEquals(state!.last_error, "edge_rejected 409");
    throw new Rollback();
  }).catch((error) => {
    if (!(error instanceof Rollback)) throw error;
  });
});
