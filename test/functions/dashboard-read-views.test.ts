/**
 * The dashboard's read views (issue 16): a member reads their client's rows of each view and
 * no other client's; anon reads nothing; every container of theirs appears with its numbers.
 */
import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import type { Sql } from "../../supabase/functions/_shared/db.ts";
import { asRole, dbTest, seedContainer } from "../support/control-plane-db.ts";
import { addMember } from "../support/functions-platform.ts";

const VIEWS = ["container_quota", "container_usage_daily", "container_session_stats", "container_domain_states"];

async function withTraffic(sql: Sql) {
  const c = await seedContainer(sql, { status: "active", planId: "pro", domains: [{ hostname: `new-${crypto.randomUUID().slice(0, 8)}.example.com`, verified: false }] });
  const today = new Date().toISOString().slice(0, 10);
  await sql`insert into public.sgtm_usage_daily_cf (container_id, day, requests) values (${c.containerId}, ${today}, 1234)`;
  for (const [adblock, itp] of [[true, false], [false, true], [false, false], [true, true]] as const) {
    await sql`insert into public.loader_sessions (session_id, container_id, adblock, itp)
      values (${crypto.randomUUID()}, ${c.containerId}, ${adblock}, ${itp})`;
  }
  await sql`insert into public.loader_sessions (session_id, container_id, adblock, itp, detected_at)
    values (${crypto.randomUUID()}, ${c.containerId}, true, true, now() - interval '40 days')`;
  return c;
}

dbTest("a member reads their client's quota, usage, sessions and domain states", async (sql) => {
  const c = await withTraffic(sql);
  const member = await addMember(sql, c.clientId, "member");
  for (const user of [c.userId, member]) {
    await asRole(sql, "authenticated", user, async (tx) => {
      const [quota] = await tx`select * from public.container_quota where container_id = ${c.containerId}`;
      assertEquals([quota!.plan_id, Number(quota!.monthly_request_limit), Number(quota!.month_requests)], ["pro", 10_000_000, 1234]);
      const usage = await tx`select requests from public.container_usage_daily where container_id = ${c.containerId}`;
      assertEquals(usage.map((row) => Number(row.requests)), [1234]);
      const [sessions] = await tx`select * from public.container_session_stats where container_id = ${c.containerId}`;
      assertEquals(
        [sessions!.sessions, sessions!.adblock_sessions, sessions!.itp_sessions, sessions!.blocked_sessions].map(Number),
        [4, 2, 2, 3],
      );
      const domains = await tx`select hostname, state, is_primary from public.container_domain_states
        where container_id = ${c.containerId} order by is_primary desc`;
      assertEquals(domains.map((d) => [d.hostname === c.primaryHost, d.state]), [[true, "verified"], [false, "pending"]]);
    });
  }
});

dbTest("no one reads another client's rows of any view; anon reads none at all", async (sql) => {
  const mine = await withTraffic(sql);
  const theirs = await withTraffic(sql);
  for (const view of VIEWS) {
    const seen = await asRole(sql, "authenticated", mine.userId, (tx) => tx.unsafe(`select container_id from public.${view}`));
    const ids = new Set(seen.map((row) => row.container_id));
    assertEquals(ids.has(mine.containerId), true, `${view}: own rows (positive control)`);
    assertEquals(ids.has(theirs.containerId), false, `${view}: another client's rows`);
    await rejects(asRole(sql, "anon", null, (tx) => tx.unsafe(`select * from public.${view}`)), /permission denied/, view);
  }
});
