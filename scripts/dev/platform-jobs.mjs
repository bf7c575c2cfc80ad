// The scheduled jobs, driven by a timer locally (hosted Supabase runs them with pg_cron, see
// supabase/migrations/*_schedules.sql): drain the edge sync outbox through sync-edge-config,
// then billing-usage and nightly-drift-check. One tick at a time; a failing job is reported
// through `log` and retried at the next tick.
const OUTBOX_BATCH = 50;

/** One pass over every job; resolves with what each answered. */
export async function runJobsOnce({ sql, controlPlane }) {
  const due = await sql`
    select container_id from public.edge_sync_outbox
    where status = 'pending' and next_attempt_at <= now()
    order by next_attempt_at limit ${OUTBOX_BATCH}`;
  const synced = [];
  for (const { container_id } of due) synced.push({ container_id, ...(await controlPlane.sync(container_id)) });
  return { outbox: synced, billing: await controlPlane.billing(), drift: await controlPlane.driftCheck() };
}

/** Runs the jobs every `intervalMs`; `stop()` waits for a running tick to end. */
export function scheduleJobs({ sql, controlPlane, intervalMs, log }) {
  let running = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = runJobsOnce({ sql, controlPlane }).then(
      (result) => log(summary(result)),
      (error) => log(`jobs failed: ${error.message}`),
    );
  };
  const timer = setInterval(() => {
    if (!stopped) tick();
  }, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

export function summary({ outbox, billing, drift }) {
  const failedSyncs = outbox.filter((row) => row.status !== 200).length;
  const parts = [
    `outbox ${outbox.length} synced${failedSyncs ? ` (${failedSyncs} failed)` : ""}`,
    billing.status === 200
      ? `billing ${billing.body.containers} containers, paused [${billing.body.paused}]`
      : `billing ${billing.status}`,
    drift.status === 200
      ? `drift ${drift.body.checked} checked, repaired [${drift.body.repaired}], failed [${drift.body.failed}]`
      : `drift ${drift.status}`,
  ];
  return `jobs: ${parts.join("; ")}`;
}
