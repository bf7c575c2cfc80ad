/**
 * nightly-drift-check: containers the edge lacks (404) or holds at another
 * version are re-synced and reported as repaired; those it cannot reach as failed.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import nightlyDriftCheck from "../../../supabase/functions/nightly-drift-check/index.ts";
import syncEdgeConfig from "../../../supabase/functions/sync-edge-config/index.ts";
import { configVersion, dbTest, seedContainer } from "../../support/control-plane-db.ts";
import { startFakeEdge, useFakeEdgeEnv } from "../../support/fake-edge.ts";

const serviceRole = () => ({ authorization: `Bearer ${Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")}` });

async function driftCheck(headers: Record<string, string> = serviceRole()) {
  const response = await nightlyDriftCheck.fetch(new Request("http://functions.test/nightly-drift-check", { method: "POST", headers }));
  return { status: response.status, body: await response.json() };
}

async function push(containerId: string) {
  const response = await syncEdgeConfig.fetch(new Request("http://functions.test/sync-edge-config", {
    method: "POST",
    headers: serviceRole(),
    body: JSON.stringify({ container_id: containerId }),
  }));
  assertEquals(response.status, 200);
}

dbTest("drift check repairs missing and outdated containers and leaves synced ones alone", async (sql) => {
  const edge = startFakeEdge();
  useFakeEdgeEnv(edge);
  try {
    // other test files' live containers share the database: bring them in line first
    await driftCheck();
    const synced = await seedContainer(sql, { status: "active" });
    const outdated = await seedContainer(sql, { status: "paused" });
    const missing = await seedContainer(sql, { status: "active" });
    const provisioning = await seedContainer(sql);
    await push(synced.containerId);
    await push(outdated.containerId);
    await sql`update public.sgtm_containers set origin = 'https://newer.example.net' where id = ${outdated.containerId}`;

    edge.requests.length = 0;
    const result = await driftCheck();
    assertEquals(result.status, 200);
    assertEquals(result.body.repaired.toSorted(), [outdated.containerId, missing.containerId].toSorted());
    assertEquals(result.body.failed, []);
    assertEquals(result.body.checked >= 3, true);
    assertEquals(edge.configs.get(outdated.containerId)?.config_version, await configVersion(sql, outdated.containerId));
    assertEquals(edge.configs.get(missing.containerId)?.config_version, await configVersion(sql, missing.containerId));
    assertEquals(edge.configs.has(provisioning.containerId), false);
    assertEquals(edge.requests.filter((r) => r.includes(synced.containerId)), [`GET /_edge/admin/containers/${synced.containerId}`]);

    const again = await driftCheck();
    assertEquals([again.body.repaired, again.body.failed], [[], []]);
  } finally {
    await edge.close();
  }
});

dbTest("drift check reports containers it cannot reach as failed", async (sql) => {
  const edge = startFakeEdge();
  useFakeEdgeEnv(edge);
  try {
    const c = await seedContainer(sql, { status: "active" });
    edge.down = true;
    const result = await driftCheck();
    assertEquals(result.status, 200);
    assertEquals(result.body.failed.includes(c.containerId), true);
    assertEquals(result.body.repaired, []);
  } finally {
    await edge.close();
  }
});

dbTest("drift check is for the service role only", async () => {
  for (const headers of [{} as Record<string, string>, { authorization: "Bearer nope" }, { "x-edge-auth": Deno.env.get("EDGE_AUTH_SECRET")! }]) {
    assertEquals(await driftCheck(headers), { status: 401, body: { error: "unauthorized", message: "missing or wrong credentials" } });
  }
});
