/**
 * Local stand-in for the hosted `edge-sync-outbox` cron job (supabase/migrations/
 * …_schedules.sql calls sync-edge-config once per due row): drains the outbox in
 * process. Only the local platform's functions server imports this module; no function
 * does, so it is in no deployed bundle (folders named `_*` are not functions).
 */
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { syncContainer } from "../_shared/edge-sync.ts";

export interface OutboxRun {
  processed: number;
  synced: string[];
  failed: string[];
}

/** Syncs every container whose outbox row is due. */
export async function processOutbox(sql: Sql, edge: EdgeAdmin, limit = 50): Promise<OutboxRun> {
  const due = await sql<{ container_id: string }[]>`
    select container_id from public.edge_sync_outbox
    where status = 'pending' and next_attempt_at <= now()
    order by next_attempt_at, id limit ${limit}`;
  const run: OutboxRun = { processed: 0, synced: [], failed: [] };
  for (const { container_id } of due) {
    const outcome = await syncContainer(sql, edge, container_id);
    run.processed++;
    if (outcome.kind === "synced") run.synced.push(container_id);
    else if (outcome.kind !== "not_found") run.failed.push(container_id);
  }
  return run;
}

/**
 * Drains the outbox every `intervalMs`, one
 * run at a time, until stopped. Errors are logged and retried on the next tick.
 */
export function startOutboxTimer(sql: () => Sql, edge: () => EdgeAdmin, intervalMs = 5_000): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    running = processOutbox(sql(), edge())
      .then((run) => {
        if (run.failed.length) console.warn(`edge sync outbox: ${run.failed.length} container(s) failed, will retry`);
      })
      .catch((error) => console.error("edge sync outbox run failed", error))
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(tick, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
