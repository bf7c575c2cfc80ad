/**
 * sync-edge-config against a fake edge: 200 only once the edge confirmed the
 * version; edge down or rejecting gives 502 and marks nothing synced; the
 * outbox is completed on success and backed off on failure. (The local drain
 * of the outbox: _local/outbox-timer.test.ts.)
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import syncEdgeConfig from "../../../supabase/functions/sync-edge-config/index.ts";
import containerConfig from "../../../supabase/functions/container-config/index.ts";
import type { Sql } from "../../../supabase/functions/_shared/db.ts";
import { configVersion, dbTest, seedContainer } from "../../support/control-plane-db.ts";
import { type FakeEdge, startFakeEdge, useFakeEdgeEnv } from "../../support/fake-edge.ts";

const serviceRole = () => ({ authorization: `Bearer ${Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")}` });
const edgeAuth = () => ({ "x-edge-auth": Deno.env.get("EDGE_AUTH_SECRET")! });

async function sync(body: unknown, headers: Record<string, string> = serviceRole()) {
  const response = await syncEdgeConfig.fetch(
    new Request("http://functions.test/sync-edge-config", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
  return { status: response.status, body: await response.json() };
}

async function withEdge(fn: (edge: FakeEdge) => Promise<void>) {
  const edge = startFakeEdge();
  useFakeEdgeEnv(edge);
  try {
    await fn(edge);
  } finally {
    await edge.close();
  }
}

async function syncState(sql: Sql, containerId: string) {
  const [row] = await sql<{ synced_version: number | null; attempts: number; last_error: string | null }[]>`
    select synced_version, attempts, last_error from public.edge_sync_state where container_id = ${containerId}`;
  return row;
}

async function outbox(sql: Sql, containerId: string) {
  return [...await sql<{ status: string; attempts: number; config_version: number; due_later: boolean }[]>`
    select status, attempts, config_version, next_attempt_at > now() as due_later
    from public.edge_sync_outbox where container_id = ${containerId} order by id`];
}

dbTest("sync pushes the container-config body and records the confirmed version", async (sql) => {
  await withEdge(async (edge) => {
    const c = await seedContainer(sql, { status: "active" });
    const version = await configVersion(sql, c.containerId);
    assertEquals(await sync({ container_id: c.containerId }), {
      status: 200,
      body: { container_id: c.containerId, config_version: version, applied: true },
    });
    const served = await containerConfig.fetch(
      new Request(`http://functions.test/container-config?container_id=${c.containerId}`, { headers: edgeAuth() }),
    );
    assertEquals(edge.configs.get(c.containerId), await served.json());
    assertEquals(await syncState(sql, c.containerId), { synced_version: version, attempts: 0, last_error: null });
    assertEquals((await outbox(sql, c.containerId)).map((r) => r.status), ["done"]);

    // the same version again: the edge answers applied:false, still a confirmation
    assertEquals(await sync({ container_id: c.containerId }, edgeAuth()), {
      status: 200,
      body: { container_id: c.containerId, config_version: version, applied: false },
    });
  });
});

dbTest("sync refuses bad callers and bad bodies", async (sql) => {
  await withEdge(async (edge) => {
    const c = await seedContainer(sql, { status: "active" });
    for (const headers of [{} as Record<string, string>, { authorization: "Bearer nope" }, { "x-edge-auth": "nope" }, { authorization: `Bearer ${Deno.env.get("EDGE_AUTH_SECRET")}` }]) {
      assertEquals((await sync({ container_id: c.containerId }, headers)).status, 401);
    }
    assertEquals((await sync("{not json")).body.error, "invalid_body");
    const wrongShape = await sync({ container_id: "abc", extra: 1 });
    assertEquals([wrongShape.status, wrongShape.body.issues.map((i: { path: string }) => i.path).toSorted()], [400, ["(root)", "container_id"]]);
    assertEquals((await sync({ container_id: crypto.randomUUID() })).status, 404);
    assertEquals(edge.requests, []);
  });
});

dbTest("edge down: retried, 502 edge_unavailable, nothing marked synced", async (sql) => {
  await withEdge(async (edge) => {
    const c = await seedContainer(sql, { status: "active" });
    edge.down = true;
    const result = await sync({ container_id: c.containerId });
    assertEquals([result.status, result.body.error, result.body.edge], [502, "edge_unavailable", { error: "internal_error" }]);
    assertEquals(edge.requests.length, 3);
    const state = await syncState(sql, c.containerId);
    assertEquals([state?.synced_version, state?.attempts], [null, 1]);
    assertEquals(await outbox(sql, c.containerId), [
      { status: "pending", attempts: 1, config_version: await configVersion(sql, c.containerId), due_later: true },
    ]);
  });
});

dbTest("edge unreachable (connection refused): 502 edge_unavailable", async (sql) => {
  const c = await seedContainer(sql, { status: "active" });
  const edge = startFakeEdge();
  await edge.close();
  useFakeEdgeEnv(edge);
  const result = await sync({ container_id: c.containerId });
  assertEquals([result.status, result.body.error, result.body.edge], [502, "edge_unavailable", null]);
  assertEquals((await syncState(sql, c.containerId))?.synced_version, null);
});

dbTest("edge rejecting (409, 400, wrong version): 502 edge_rejected with the edge's body", async (sql) => {
  await withEdge(async (edge) => {
    const c = await seedContainer(sql, { status: "active" });
    const version = await configVersion(sql, c.containerId);
    const answers = [
      { status: 409, body: { error: "route_conflict", key: `host:${c.primaryHost}` } },
      { status: 400, body: { error: "invalid_config", issues: [{ path: "origin", message: "bad" }] } },
      { status: 200, body: { applied: true, config_version: version - 1 } },
    ];
    for (const answer of answers) {
      edge.respond = answer;
      edge.requests.length = 0;
      const result = await sync({ container_id: c.containerId });
      assertEquals([result.status, result.body.error, result.body.edge], [502, "edge_rejected", answer.body]);
      assertEquals(edge.requests.length, 1, "4xx is final, not retried");
    }
    assertEquals((await syncState(sql, c.containerId))?.synced_version, null);
    assertEquals((await outbox(sql, c.containerId)).map((r) => [r.status, r.attempts]), [["pending", 3]]);
  });
});

dbTest("edge ahead of the database (stale_version): the version leaps past it for the next push", async (sql) => {
  await withEdge(async (edge) => {
    const c = await seedContainer(sql, { status: "active" });
    const version = await configVersion(sql, c.containerId);
    edge.respond = { status: 409, body: { error: "stale_version", current_version: version + 10 } };
    assertEquals((await sync({ container_id: c.containerId })).body.error, "edge_rejected");
    assertEquals(await configVersion(sql, c.containerId), version + 11);
    edge.respond = null;
    assertEquals((await sync({ container_id: c.containerId })).body.config_version, version + 11);
  });
});
dbTest("sync without edge admin settings says so", async (sql) => {
  const c = await seedContainer(sql, { status: "active" });
  Deno.env.delete("EDGE_ADMIN_URL");
  const result = await sync({ container_id: c.containerId });
  assertEquals([result.status, result.body.error], [500, "edge_admin_not_configured"]);
});
