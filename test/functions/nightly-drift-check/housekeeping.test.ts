/**
 * The nightly job releases what a crashed container creation left: a container
 * stuck in provisioning (ports, sites, domains, subscription) and its unfinished
 * Idempotency-Key; completed keys are forgotten after a day.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { houseKeep } from "../../../supabase/functions/nightly-drift-check/housekeeping.ts";
import { dbTest, seedContainer } from "../../support/control-plane-db.ts";

type Sql = Parameters<Parameters<typeof dbTest>[1]>[0];

/** A port no other row uses, allocated to the container. */
async function allocatePort(sql: Sql, containerId: string): Promise<number> {
  const [row] = await sql<{ port: number }[]>`
    insert into public.port_pool (port, container_id, allocated_at)
    select p, ${containerId}, now() from generate_series(20000, 65000) p
    where not exists (select 1 from public.port_pool pp where pp.port = p)
    order by p limit 1
    returning port`;
  return row!.port;
}

async function insertKey(sql: Sql, userId: string, key: string, ageHours: number, done: boolean) {
  await sql`insert into public.idempotency_keys (user_id, key, scope, request_hash, response_status, response_body, created_at)
    values (${userId}, ${key}, 'sgtm-containers', ${"0".repeat(64)}, ${done ? 201 : null},
            ${done ? sql.json({ ok: true }) : null}, now() - make_interval(hours => ${ageHours}))`;
}

dbTest("a container stuck in provisioning is failed and releases what it held; a recent one is left alone", async (sql) => {
  const stuck = await seedContainer(sql);
  const recent = await seedContainer(sql);
  const stuckPort = await allocatePort(sql, stuck.containerId);
  const recentPort = await allocatePort(sql, recent.containerId);
  await sql`update public.sgtm_containers set created_at = now() - interval '2 hours' where id = ${stuck.containerId}`;

  const report = await houseKeep(sql);

  assertEquals(report.reaped.includes(stuck.containerId), true);
  assertEquals(report.reaped.includes(recent.containerId), false);
  const statuses = await sql<{ id: string; status: string }[]>`
    select id, status from public.sgtm_containers where id in (${stuck.containerId}, ${recent.containerId})`;
  assertEquals(Object.fromEntries(statuses.map((row) => [row.id, row.status])), {
    [stuck.containerId]: "failed",
    [recent.containerId]: "provisioning",
  });
  const ports = await sql<{ port: number; container_id: string | null }[]>`
    select port, container_id from public.port_pool where port in (${stuckPort}, ${recentPort}) order by port`;
  assertEquals(ports.find((row) => row.port === stuckPort)?.container_id, null);
  assertEquals(ports.find((row) => row.port === recentPort)?.container_id, recent.containerId);
  const domains = await sql`select 1 from public.site_domains where hostname = ${stuck.primaryHost}`;
  assertEquals(domains.length, 0);
});

dbTest("unfinished keys go after the provisioning window, completed ones after a day", async (sql) => {
  const userId = crypto.randomUUID();
  await insertKey(sql, userId, "stuck", 2, false);
  await insertKey(sql, userId, "running", 0, false);
  await insertKey(sql, userId, "old", 25, true);
  await insertKey(sql, userId, "fresh", 1, true);

  const report = await houseKeep(sql);

  const left = await sql<{ key: string }[]>`select key from public.idempotency_keys where user_id = ${userId} order by key`;
  assertEquals(left.map((row) => row.key), ["fresh", "running"]);
  assertEquals(report.expired_idempotency_keys >= 2, true);
});
