/**
 * Row level security: a member reads only their own client's rows, anon reads
 * nothing, nobody but the service role writes. Each check switches user inside
 * a transaction (`set local role` + `request.jwt.claims`) and rolls back.
 */
import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import type { Sql } from "../../supabase/functions/_shared/db.ts";
import { asRole as as, dbTest, seedContainer } from "../support/control-plane-db.ts";

/** Tables a member may read, each with how to find a container's rows in it. */
const MEMBER_TABLES: Record<string, string> = {
  clients: "id = (select client_id from public.sgtm_containers where id = $1)",
  client_memberships: "client_id = (select client_id from public.sgtm_containers where id = $1)",
  sgtm_containers: "id = $1",
  subscriptions: "container_id = $1",
  sites: "container_id = $1",
  site_domains: "site_id in (select id from public.sites where container_id = $1)",
  loader_sessions: "container_id = $1",
  sgtm_usage_daily_cf: "container_id = $1",
  edge_sync_state: "container_id = $1",
};
const INTERNAL_TABLES = ["port_pool", "edge_sync_outbox"];

async function countRows(tx: Sql, table: string, where: string, containerId: string): Promise<number> {
  const [row] = await tx.unsafe(`select count(*)::int as n from public.${table} where ${where}`, [containerId]);
  return row!.n;
}

async function seedPair(sql: Sql) {
  const a = await seedContainer(sql, { status: "active", domains: [{ hostname: `x${crypto.randomUUID().slice(0, 6)}.a.test`, verified: true }] });
  const b = await seedContainer(sql, { status: "active" });
  for (const c of [a, b]) {
    await sql`insert into public.loader_sessions (session_id, container_id, adblock, itp) values (${crypto.randomUUID()}, ${c.containerId}, true, false)`;
    await sql`insert into public.sgtm_usage_daily_cf (container_id, day, requests) values (${c.containerId}, '2026-11-01', 10)`;
    await sql`insert into public.edge_sync_state (container_id, synced_version) values (${c.containerId}, 1)`;
  }
  return { a, b };
}

dbTest("every table in public has row level security enabled", async (sql) => {
  const rows = await sql<{ relname: string }[]>`
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`;
  assertEquals(rows.map((r) => r.relname), []);
});

dbTest("a member sees their own client's rows in every member table", async (sql) => {
  const { a } = await seedPair(sql);
  const counts = await as(sql, "authenticated", a.userId, async (tx) => {
    const out: Record<string, number> = {};
    for (const [table, where] of Object.entries(MEMBER_TABLES)) out[table] = await countRows(tx, table, where, a.containerId);
    return out;
  });
  assertEquals(counts, {
    clients: 1, client_memberships: 1, sgtm_containers: 1, subscriptions: 1, sites: 1,
    site_domains: 2, loader_sessions: 1, sgtm_usage_daily_cf: 1, edge_sync_state: 1,
  });
});

dbTest("a member of client A sees nothing of client B", async (sql) => {
  const { a, b } = await seedPair(sql);
  const counts = await as(sql, "authenticated", a.userId, async (tx) => {
    const out: Record<string, number> = {};
    for (const [table, where] of Object.entries(MEMBER_TABLES)) out[table] = await countRows(tx, table, where, b.containerId);
    return out;
  });
  assertEquals(Object.values(counts).every((n) => n === 0), true, JSON.stringify(counts));
  const everything = await as(sql, "authenticated", a.userId, (tx) => tx`select client_id from public.sgtm_containers`);
  assertEquals(everything.map((r) => r.client_id), [a.clientId]);
});

dbTest("anon, a user without claims and an outsider see nothing", async (sql) => {
  const { a } = await seedPair(sql);
  for (const [role, sub] of [["anon", null], ["authenticated", null], ["authenticated", crypto.randomUUID()]] as const) {
    const counts = await as(sql, role, sub, async (tx) => {
      const out: Record<string, number> = {};
      for (const [table, where] of Object.entries(MEMBER_TABLES)) out[table] = await countRows(tx, table, where, a.containerId);
      return out;
    });
    assertEquals(Object.values(counts).every((n) => n === 0), true, `${role}/${sub}: ${JSON.stringify(counts)}`);
  }
  const plansForAnon = await as(sql, "anon", null, (tx) => tx`select id from public.plans`);
  assertEquals(plansForAnon.length, 0);
});

dbTest("internal tables are closed even to members", async (sql) => {
  const { a } = await seedPair(sql);
  await sql`insert into public.port_pool (port, container_id, allocated_at) values (${20000 + Math.floor(Math.random() * 40000)}, ${a.containerId}, now()) on conflict do nothing`;
  for (const table of INTERNAL_TABLES) {
    const rows = await as(sql, "authenticated", a.userId, (tx) => tx.unsafe(`select * from public.${table}`));
    assertEquals(rows.length, 0, table);
  }
});

dbTest("members cannot write, not even to their own rows", async (sql) => {
  const { a } = await seedPair(sql);
  const attempts = [
    `insert into public.clients (name) values ('mine')`,
    `update public.sgtm_containers set name = 'renamed' where id = '${a.containerId}'`,
    `delete from public.sites where container_id = '${a.containerId}'`,
    `insert into public.client_memberships (client_id, user_id, role) values ('${a.clientId}', gen_random_uuid(), 'owner')`,
    `truncate public.loader_sessions`,
  ];
  for (const statement of attempts) {
    await rejects(as(sql, "authenticated", a.userId, (tx) => tx.unsafe(statement)), /permission denied|row-level security/, statement);
  }
  const [container] = await sql`select name from public.sgtm_containers where id = ${a.containerId}`;
  assertEquals(container!.name.startsWith("container "), true);
});
