/**
 * config_version triggers: every change that alters a container's EdgeConfig
 * bumps its version (once per statement), others do not; a live container's
 * bump enqueues exactly one pending edge_sync_outbox row.
 */
import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import type { Sql } from "../../supabase/functions/_shared/db.ts";
import { configVersion, dbTest, randomLabel, seedContainer } from "../support/control-plane-db.ts";

async function bumpsBy(sql: Sql, containerId: string, change: () => Promise<unknown>): Promise<number> {
  const before = await configVersion(sql, containerId);
  await change();
  return (await configVersion(sql, containerId)) - before;
}

async function pendingOutbox(sql: Sql, containerId: string) {
  return [...await sql<{ config_version: number }[]>`
    select config_version from public.edge_sync_outbox where container_id = ${containerId} and status = 'pending'`];
}

dbTest("container fields in the EdgeConfig bump the version, others do not", async (sql) => {
  const c = await seedContainer(sql, { status: "active" });
  const id = c.containerId;
  const bump = (change: () => Promise<unknown>) => bumpsBy(sql, id, change);
  assertEquals(await bump(() => sql`update public.sgtm_containers set origin = 'https://other.example.net' where id = ${id}`), 1);
  assertEquals(await bump(() => sql`update public.sgtm_containers set modules = modules || '{"gtm_recovery":false}' where id = ${id}`), 1);
  assertEquals(await bump(() => sql`update public.sgtm_containers set loader_token = ${`lt_${crypto.randomUUID().replaceAll("-", "")}`} where id = ${id}`), 1);
  assertEquals(await bump(() => sql`update public.sgtm_containers set edge_hostname = ${`${randomLabel()}.trqaxal.test`} where id = ${id}`), 1);
  assertEquals(await bump(() => sql`update public.sgtm_containers set cookie_keeper = '{"max_age_days":30}' where id = ${id}`), 1);
  assertEquals(await bump(() => sql`update public.sgtm_containers set name = 'renamed', container_config_b64 = 'e30=' where id = ${id}`), 0);
  // pause is pushed through the admin pause call, not the config
  assertEquals(await bump(() => sql`update public.sgtm_containers set status = 'paused', paused_reason = 'usage_limit', paused_at = now() where id = ${id}`), 0);
  assertEquals(await bump(() => sql`update public.sgtm_containers set origin = origin where id = ${id}`), 0);
});

dbTest("sites, domains, subscriptions and plan changes bump the version", async (sql) => {
  const c = await seedContainer(sql, { status: "active", planId: "starter" });
  const id = c.containerId;
  const bump = (change: () => Promise<unknown>) => bumpsBy(sql, id, change);
  const host = `${randomLabel()}.shop.test`;
  assertEquals(await bump(() => sql`insert into public.site_domains (site_id, hostname) values (${c.siteId}, ${host})`), 1);
  assertEquals(await bump(() => sql`update public.site_domains set verification_state = 'verified' where hostname = ${host}`), 1);
  assertEquals(await bump(() => sql`delete from public.site_domains where hostname = ${host}`), 1);
  assertEquals(await bump(() => sql`update public.sites set web_gtm_id = 'GTM-ZZZ999' where id = ${c.siteId}`), 1);
  assertEquals(await bump(() => sql`update public.subscriptions set plan_id = 'pro' where container_id = ${id}`), 1);
  assertEquals(await bump(() => sql`update public.subscriptions set auto_upgrade = true where container_id = ${id}`), 1);
  assertEquals(await bump(() => sql`update public.subscriptions set updated_at = now() where container_id = ${id}`), 0);
  await sql`insert into public.plans (id, name, monthly_request_limit, entitlements) values (${`t-${c.containerId.slice(0, 8)}`}, 'Test', 5, '{}')`;
  await sql`update public.subscriptions set plan_id = ${`t-${c.containerId.slice(0, 8)}`} where container_id = ${id}`;
  assertEquals(await bump(() => sql`update public.plans set monthly_request_limit = 50 where id = ${`t-${c.containerId.slice(0, 8)}`}`), 1);
  assertEquals(await bump(() => sql`update public.plans set name = 'Renamed' where id = ${`t-${c.containerId.slice(0, 8)}`}`), 0);
});

dbTest("a live container's changes leave one pending outbox row at the newest version", async (sql) => {
  const c = await seedContainer(sql, { status: "active" });
  await sql`update public.sgtm_containers set origin = 'https://a.example.net' where id = ${c.containerId}`;
  await sql`update public.sgtm_containers set origin = 'https://b.example.net' where id = ${c.containerId}`;
  assertEquals(await pendingOutbox(sql, c.containerId), [{ config_version: await configVersion(sql, c.containerId) }]);
});

dbTest("a provisioning container enqueues nothing until it goes live", async (sql) => {
  const c = await seedContainer(sql);
  await sql`update public.sgtm_containers set origin = 'https://a.example.net' where id = ${c.containerId}`;
  assertEquals(await pendingOutbox(sql, c.containerId), []);
  await sql`update public.sgtm_containers set status = 'active' where id = ${c.containerId}`;
  assertEquals(await pendingOutbox(sql, c.containerId), [{ config_version: await configVersion(sql, c.containerId) }]);
});

dbTest("config_version never goes backwards", async (sql) => {
  const c = await seedContainer(sql);
  await rejects(sql`update public.sgtm_containers set config_version = 1 where id = ${c.containerId}`, /may not decrease/);
});
