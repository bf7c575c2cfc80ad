/**
 * What members read beyond rows (security issue 11): no member reads a container's origin,
 * origin_secret or container_config_b64, nor a site's forward_secret; owners and admins read
 * container_config_b64 and forward_secret through their functions, plain members and
 * strangers get nothing; edge_sync_state.last_error holds the edge's error code, never its
 * body. Each check switches role inside a rolled-back transaction (asRole).
 */
import { deepStrictEqual as assertEquals, ok, rejects } from "node:assert/strict";
import type { Sql } from "../../supabase/functions/_shared/db.ts";
import { createEdgeAdmin } from "../../supabase/functions/_shared/edge-admin.ts";
import { syncContainer } from "../../supabase/functions/_shared/edge-sync.ts";
import { asRole, dbTest, seedContainer } from "../support/control-plane-db.ts";
import { startFakeEdge } from "../support/fake-edge.ts";
import { addMember } from "../support/functions-platform.ts";

const DENIED = /permission denied/;

async function seedWithRoles(sql: Sql) {
  const c = await seedContainer(sql, { status: "active" });
  await sql`update public.sgtm_containers set container_config_b64 = 'aWQ9R1RNLUFCQzEyMw==' where id = ${c.containerId}`;
  await sql`
    update public.sites set path_prefix = '/metrics', forward_secret = public.new_url_safe_token(32)
    where id = ${c.siteId}`;
  const [site] = await sql`select forward_secret from public.sites where id = ${c.siteId}`;
  return {
    ...c,
    forwardSecret: site!.forward_secret as string,
    admin: await addMember(sql, c.clientId, "admin"),
    member: await addMember(sql, c.clientId, "member"),
    stranger: (await seedContainer(sql, { status: "active" })).userId,
  };
}

dbTest("no member reads a container's origin, origin_secret or container_config_b64", async (sql) => {
  const c = await seedWithRoles(sql);
  for (const user of [c.userId, c.admin, c.member]) {
    for (const column of ["origin", "origin_secret", "container_config_b64", "*"]) {
      await rejects(
        asRole(sql, "authenticated", user, (tx) => tx.unsafe(`select ${column} from public.sgtm_containers where id = $1`, [c.containerId])),
        DENIED,
        `${column} as ${user}`,
      );
    }
    // positive control: what a member does read
    const rows = await asRole(sql, "authenticated", user, (tx) => tx`
      select id, name, status, config_version, loader_token, edge_hostname, modules, paused_reason
      from public.sgtm_containers where id = ${c.containerId}`);
    assertEquals(rows.map((r) => r.loader_token), [c.loaderToken]);
  }
});

dbTest("owners and admins read container_config_b64 through container_config_b64(); members and strangers get null", async (sql) => {
  const c = await seedWithRoles(sql);
  const read = (user: string) =>
    asRole(sql, "authenticated", user, async (tx) => (await tx`select public.container_config_b64(${c.containerId}) as v`)[0]!.v);
  assertEquals(await read(c.userId), "aWQ9R1RNLUFCQzEyMw==");
  assertEquals(await read(c.admin), "aWQ9R1RNLUFCQzEyMw==");
  assertEquals(await read(c.member), null);
  assertEquals(await read(c.stranger), null);
  await rejects(asRole(sql, "anon", null, (tx) => tx`select public.container_config_b64(${c.containerId})`), DENIED);
});

dbTest("no member reads forward_secret; owners and admins through site_forward_secret()", async (sql) => {
  const c = await seedWithRoles(sql);
  for (const user of [c.userId, c.admin, c.member]) {
    for (const column of ["forward_secret", "*"]) {
      await rejects(
        asRole(sql, "authenticated", user, (tx) => tx.unsafe(`select ${column} from public.sites where id = $1`, [c.siteId])),
        DENIED,
        `${column} as ${user}`,
      );
    }
    const rows = await asRole(sql, "authenticated", user, (tx) => tx`
      select id, primary_host, container_token, endpoint_key, path_prefix from public.sites where id = ${c.siteId}`);
    assertEquals(rows.map((r) => [r.endpoint_key, r.path_prefix]), [[c.endpointKey, "/metrics"]]);
  }
  const read = (user: string) =>
    asRole(sql, "authenticated", user, async (tx) => (await tx`select public.site_forward_secret(${c.siteId}) as v`)[0]!.v);
  assertEquals(await read(c.userId), c.forwardSecret);
  assertEquals(await read(c.admin), c.forwardSecret);
  assertEquals(await read(c.member), null);
  assertEquals(await read(c.stranger), null);
});

dbTest("secrets are generated for every container and site, distinct and url-safe", async (sql) => {
  const a = await seedContainer(sql);
  const b = await seedContainer(sql);
  ok(/^[A-Za-z0-9_-]{43}$/.test(a.originSecret), a.originSecret);
  ok(/^[A-Za-z0-9_-]{32}$/.test(a.endpointKey), a.endpointKey);
  assertEquals(new Set([a.originSecret, b.originSecret, a.endpointKey, b.endpointKey]).size, 4);
  const [missing] = await sql`
    select (select count(*) from public.sgtm_containers where origin_secret is null)::int
         + (select count(*) from public.sites where endpoint_key is null)::int as n`;
  assertEquals(missing!.n, 0);
  await rejects(sql`update public.sites set endpoint_key = ${a.endpointKey} where id = ${b.siteId}`, /sites_endpoint_key_idx/);
});

dbTest("a route_conflict naming another tenant's host leaves members the code, never the host", async (sql) => {
  const edge = startFakeEdge();
  try {
    const c = await seedContainer(sql, { status: "active" });
    const member = await addMember(sql, c.clientId, "member");
    edge.respond = { status: 409, body: { error: "route_conflict", key: "host:shop.victim-tenant.example" } };
    const admin = createEdgeAdmin({ baseUrl: edge.url, token: edge.token, attempts: 1 });
    assertEquals((await syncContainer(sql, admin, c.containerId)).kind, "edge_rejected");
    const seen = await asRole(sql, "authenticated", member, (tx) =>
      tx`select last_error from public.edge_sync_state where container_id = ${c.containerId}`);
    assertEquals(seen.map((r) => r.last_error), ["edge_rejected 409 route_conflict"]);
    // operators keep the detail, in the outbox row no member reads
    const [outbox] = await sql`select last_error from public.edge_sync_outbox where container_id = ${c.containerId} and status = 'pending'`;
    ok(String(outbox!.last_error).includes("shop.victim-tenant.example"), outbox!.last_error);
    assertEquals((await asRole(sql, "authenticated", member, (tx) => tx`select last_error from public.edge_sync_outbox`)).length, 0);

    edge.respond = { status: 400, body: { error: "Invalid <b>config</b> for victim.example", issues: [] } };
    await syncContainer(sql, admin, c.containerId);
    const [state] = await sql`select last_error from public.edge_sync_state where container_id = ${c.containerId}`;
    assertEquals(state!.last_error, "edge_rejected 400 unknown");
  } finally {
    await edge.close();
  }
});
