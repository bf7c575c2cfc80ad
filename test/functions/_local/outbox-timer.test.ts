/**
 * The local stand-in for the outbox cron job: processOutbox pushes every due
 * container and completes its row; the timer does it without anyone calling sync.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { processOutbox, startOutboxTimer } from "../../../supabase/functions/_local/outbox-timer.ts";
import { getDb } from "../../../supabase/functions/_shared/db.ts";
import type { Sql } from "../../../supabase/functions/_shared/db.ts";
import { edgeAdminFromEnv } from "../../../supabase/functions/_shared/edge-admin.ts";
import { configVersion, dbTest, seedContainer } from "../../support/control-plane-db.ts";
import { type FakeEdge, startFakeEdge, useFakeEdgeEnv } from "../../support/fake-edge.ts";

async function withEdge(fn: (edge: FakeEdge) => Promise<void>) {
  const edge = startFakeEdge();
  useFakeEdgeEnv(edge);
  try {
    await fn(edge);
  } finally {
    await edge.close();
  }
}

async function outbox(sql: Sql, containerId: string) {
  return [...await sql<{ status: string; attempts: number; config_version: number; due_later: boolean }[]>`
    select status, attempts, config_version, next_attempt_at > now() as due_later
    from public.edge_sync_outbox where container_id = ${containerId} order by id`];
}

dbTest("processOutbox pushes every due container and completes its row", async (sql) => {
  await withEdge(async (edge) => {
    const a = await seedContainer(sql, { status: "active" });
    const b = await seedContainer(sql, { status: "active" });
    let run;
    do run = await processOutbox(getDb(), edgeAdminFromEnv()); while (run.processed === 50);
    assertEquals([a, b].every((c) => edge.configs.get(c.containerId)?.config_version !== undefined), true);
    assertEquals((await outbox(sql, a.containerId)).map((r) => r.status), ["done"]);
    // a later change leaves a new pending row that the next run completes
    await sql`update public.sgtm_containers set origin = 'https://moved.example.net' where id = ${a.containerId}`;
    run = await processOutbox(getDb(), edgeAdminFromEnv());
    assertEquals(run.synced.includes(a.containerId), true);
    assertEquals(edge.configs.get(a.containerId)?.origin, "https://moved.example.net");
    assertEquals((await outbox(sql, a.containerId)).map((r) => r.status), ["done", "done"]);
  });
});

dbTest("the local outbox timer pushes a change without anyone calling sync", async (sql) => {
  await withEdge(async (edge) => {
    const c = await seedContainer(sql, { status: "active" });
    const timer = startOutboxTimer(getDb, edgeAdminFromEnv, 10);
    try {
      const deadline = Date.now() + 5_000;
      while (!edge.configs.has(c.containerId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    } finally {
      await timer.stop();
    }
    assertEquals(edge.configs.get(c.containerId)?.config_version, await configVersion(sql, c.containerId));
  });
});
