/**
 * nightly-drift-check finishes endpoint rotations older than ROTATION_GRACE_DAYS and pushes
 * them (the drift check that follows sees the new version); younger rotations keep running.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import nightlyDriftCheck from "../../../supabase/functions/nightly-drift-check/index.ts";
import { ROTATION_GRACE_DAYS } from "../../../supabase/functions/nightly-drift-check/rotations.ts";
import { createEdgeAdmin } from "../../../supabase/functions/_shared/edge-admin.ts";
import { syncContainer } from "../../../supabase/functions/_shared/edge-sync.ts";
import type { Sql } from "../../../supabase/functions/_shared/db.ts";
import { dbTest, seedContainer } from "../../support/control-plane-db.ts";
import { startFakeEdge, useFakeEdgeEnv } from "../../support/fake-edge.ts";

/** Starts a rotation of the container's site `daysAgo` days ago and pushes it. */
async function rotatedSince(sql: Sql, daysAgo: number) {
  const c = await seedContainer(sql, { status: "active" });
  await sql`
    update public.sites set previous_endpoint_key = endpoint_key, endpoint_key = public.new_url_safe_token(24),
      endpoint_rotated_at = now() - make_interval(days => ${daysAgo})
    where id = ${c.siteId}`;
  return c;
}

dbTest("rotations past the grace period are finished and pushed; younger ones keep both keys", async (sql) => {
  const edge = startFakeEdge();
  useFakeEdgeEnv(edge);
  try {
    const old = await rotatedSince(sql, ROTATION_GRACE_DAYS + 1);
    const young = await rotatedSince(sql, ROTATION_GRACE_DAYS - 1);
    const admin = createEdgeAdmin({ baseUrl: edge.url, token: edge.token });
    for (const c of [old, young]) assertEquals((await syncContainer(sql, admin, c.containerId)).kind, "synced");
    assertEquals(edge.configs.get(old.containerId)!.sites[0]!.previous_endpoint_key, old.endpointKey);

    const response = await nightlyDriftCheck.fetch(new Request("http://functions.test/nightly-drift-check", {
      method: "POST",
      headers: { authorization: `Bearer ${Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")}` },
    }));
    const report = await response.json();
    assertEquals(response.status, 200);
    assertEquals(report.finished_rotations.includes(old.siteId), true);
    assertEquals(report.finished_rotations.includes(young.siteId), false);
    assertEquals(report.repaired.includes(old.containerId), true);
    const [row] = await sql`select previous_endpoint_key, endpoint_rotated_at from public.sites where id = ${old.siteId}`;
    assertEquals([row!.previous_endpoint_key, row!.endpoint_rotated_at], [null, null]);
    assertEquals(edge.configs.get(old.containerId)!.sites[0]!.previous_endpoint_key, undefined);
    assertEquals(edge.configs.get(young.containerId)!.sites[0]!.previous_endpoint_key, young.endpointKey);
  } finally {
    await edge.close();
  }
});
