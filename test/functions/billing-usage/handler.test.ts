/**
 * POST billing-usage through the local gateway against the fake edge: absolute
 * usage upserts, pause at the limit, auto-upgrade along the plan chain, resume
 * when a paid plan covers the usage again.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { monthToDate } from "../../../supabase/functions/billing-usage/decide.ts";
import type { Sql } from "../../../supabase/functions/_shared/db.ts";
import { dbTest, randomLabel, seedContainer } from "../../support/control-plane-db.ts";
import { type Platform, startPlatform } from "../../support/functions-platform.ts";

const ALL_MODULES = { sgtm_proxy: true, gtm_recovery: true, cookie_keeper: true, adblock_itp_detection: true, custom_domain: true };

/** small (100/month) -> mid (1000/month) -> end of chain. */
async function planChain(sql: Sql): Promise<{ small: string; mid: string }> {
  const label = randomLabel();
  const [small, mid] = [`small-${label}`, `mid-${label}`];
  await sql`insert into public.plans (id, name, monthly_request_limit, entitlements) values (${mid}, 'Mid', 1000, ${sql.json(ALL_MODULES)})`;
  await sql`
    insert into public.plans (id, name, monthly_request_limit, entitlements, upgrade_plan_id)
    values (${small}, 'Small', 100, ${sql.json(ALL_MODULES)}, ${mid})`;
  return { small, mid };
}

function serviceRole(): string {
  return Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")!;
}

async function bill(platform: Platform) {
  const response = await platform.call("billing-usage", { method: "POST", token: serviceRole() });
  assertEquals(response.status, 200);
  return await response.json() as { containers: number; paused: string[]; upgraded: string[]; resumed: string[]; failed: string[] };
}

/** A live container the fake edge already serves (pushed through sync-edge-config). */
async function liveContainer(sql: Sql, platform: Platform, planId: string, autoUpgrade = false): Promise<string> {
  const { containerId } = await seedContainer(sql, { status: "active", planId });
  if (autoUpgrade) await sql`update public.subscriptions set auto_upgrade = true where container_id = ${containerId}`;
  const synced = await platform.call("sync-edge-config", {
    method: "POST",
    token: serviceRole(),
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ container_id: containerId }),
  });
  assertEquals(synced.status, 200);
  return containerId;
}

function setUsage(platform: Platform, containerId: string, days: Record<string, number>): void {
  platform.edge.usage.set(containerId, new Map(Object.entries(days)));
}

async function containerState(sql: Sql, containerId: string) {
  const [row] = await sql`
    select c.status, c.paused_reason, s.plan_id from public.sgtm_containers c
    join public.subscriptions s on s.container_id = c.id and s.status <> 'canceled' where c.id = ${containerId}`;
  return { status: row!.status, paused_reason: row!.paused_reason, plan_id: row!.plan_id };
}

async function storedUsage(sql: Sql, containerId: string) {
  return (await sql`select day::text, requests::int from public.sgtm_usage_daily_cf where container_id = ${containerId} order by day`)
    .map((row) => [row.day, row.requests]);
}

dbTest("billing-usage", async (sql, t) => {
  const platform = await startPlatform();
  const { from, to } = monthToDate(new Date());
  const lastMonth = new Date(Date.parse(`${from}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  try {
    const plans = await planChain(sql);

    await t.step("service role only", async () => {
      assertEquals((await platform.call("billing-usage", { method: "POST" })).status, 401);
      assertEquals((await platform.call("billing-usage", { method: "POST", token: "wrong" })).status, 401);
    });

    await t.step("usage is stored as absolute daily counts of this month; reruns change nothing", async () => {
      const id = await liveContainer(sql, platform, plans.small);
      setUsage(platform, id, { [lastMonth]: 500, [from]: 10, [to]: 20 });
      const run = await bill(platform);
      ok(run.containers >= 1 && !run.paused.includes(id) && !run.failed.includes(id));
      const expected = from === to ? [[from, 20]] : [[from, 10], [to, 20]];
      assertEquals(await storedUsage(sql, id), expected);
      await bill(platform);
      assertEquals(await storedUsage(sql, id), expected);
      setUsage(platform, id, { [from]: 10, [to]: 25 });
      await bill(platform);
      assertEquals((await storedUsage(sql, id)).at(-1), [to, 25]);
    });

    await t.step("at the limit without auto_upgrade: paused at the edge and in the database, once", async () => {
      const id = await liveContainer(sql, platform, plans.small);
      setUsage(platform, id, { [to]: 100 });
      const run = await bill(platform);
      ok(run.paused.includes(id));
      assertEquals(platform.edge.paused.get(id)?.reason, "usage_limit");
      assertEquals(await containerState(sql, id), { status: "paused", paused_reason: "usage_limit", plan_id: plans.small });
      const pauses = platform.edge.requests.filter((r) => r === `POST /_edge/admin/containers/${id}/pause`).length;
      ok(!(await bill(platform)).paused.includes(id));
      assertEquals(platform.edge.requests.filter((r) => r === `POST /_edge/admin/containers/${id}/pause`).length, pauses);
    });

    await t.step("over the limit with auto_upgrade: next plan, new limit pushed, edge's own pause lifted", async () => {
      const id = await liveContainer(sql, platform, plans.small, true);
      setUsage(platform, id, { [to]: 150 });
      // the edge paused itself in real time and the database already knows it
      platform.edge.paused.set(id, { reason: "usage_limit", since: new Date().toISOString() });
      await sql`update public.sgtm_containers set status = 'paused', paused_reason = 'usage_limit', paused_at = now() where id = ${id}`;
      const run = await bill(platform);
      ok(run.upgraded.includes(id) && run.resumed.includes(id) && !run.paused.includes(id));
      assertEquals(await containerState(sql, id), { status: "active", paused_reason: null, plan_id: plans.mid });
      assertEquals(platform.edge.configs.get(id)?.plan.monthly_request_limit, 1000);
      assertEquals(platform.edge.paused.has(id), false);
    });

    await t.step("auto_upgrade with usage beyond every plan of the chain: paused", async () => {
      const id = await liveContainer(sql, platform, plans.small, true);
      setUsage(platform, id, { [to]: 5000 });
      const run = await bill(platform);
      ok(run.paused.includes(id) && !run.upgraded.includes(id));
      assertEquals(await containerState(sql, id), { status: "paused", paused_reason: "usage_limit", plan_id: plans.small });
    });

    await t.step("paused for the limit, plan upgraded by hand: resumed at the edge and in the database", async () => {
      const id = await liveContainer(sql, platform, plans.small);
      setUsage(platform, id, { [to]: 120 });
      ok((await bill(platform)).paused.includes(id));
      await sql`update public.subscriptions set plan_id = ${plans.mid} where container_id = ${id}`;
      const run = await bill(platform);
      ok(run.resumed.includes(id));
      assertEquals(platform.edge.paused.has(id), false);
      assertEquals(platform.edge.configs.get(id)?.plan.monthly_request_limit, 1000);
      assertEquals((await containerState(sql, id)).status, "active");
    });

    await t.step("an unpaid subscription is not resumed until it is active again", async () => {
      const id = await liveContainer(sql, platform, plans.small);
      setUsage(platform, id, { [to]: 120 });
      ok((await bill(platform)).paused.includes(id));
      await sql`update public.subscriptions set plan_id = ${plans.mid}, status = 'past_due' where container_id = ${id}`;
      ok(!(await bill(platform)).resumed.includes(id));
      assertEquals(platform.edge.paused.get(id)?.reason, "usage_limit");
      await sql`update public.subscriptions set status = 'active' where container_id = ${id}`;
      ok((await bill(platform)).resumed.includes(id));
      assertEquals(platform.edge.paused.has(id), false);
    });

    await t.step("a pause billing did not make is left alone", async () => {
      const id = await liveContainer(sql, platform, plans.mid);
      platform.edge.paused.set(id, { reason: "abuse", since: new Date().toISOString() });
      await sql`update public.sgtm_containers set status = 'paused', paused_reason = 'abuse', paused_at = now() where id = ${id}`;
      setUsage(platform, id, { [to]: 1 });
      const run = await bill(platform);
      ok(!run.resumed.includes(id) && !run.paused.includes(id));
      assertEquals(platform.edge.paused.get(id)?.reason, "abuse");
    });

    await t.step("a container the edge does not know is reported failed and left unchanged", async () => {
      const { containerId } = await seedContainer(sql, { status: "active", planId: plans.small });
      const run = await bill(platform);
      ok(run.failed.includes(containerId));
      assertEquals((await containerState(sql, containerId)).status, "active");
    });
  } finally {
    await platform.close();
  }
});
