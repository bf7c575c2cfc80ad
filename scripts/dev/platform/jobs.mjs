// The scheduled jobs of hosted Supabase (pg_cron, supabase/migrations/*_schedules.sql) that a
// timer drives locally: billing-usage, nightly-drift-check and alerts, called over HTTP with the
// service role key as pg_cron does. (The outbox job runs inside the functions server, see
// functions.ts.) One tick at a time; a failure is reported through `log` and the
// next tick tries again.

/** One pass over the jobs; resolves with what each answered. */
export async function runJobsOnce(controlPlane) {
  return { billing: await controlPlane.billing(), drift: await controlPlane.driftCheck(), alerts: await controlPlane.alerts() };
}

/** Runs the jobs every `intervalMs`; `stop()` waits for a running tick to end. */
export function scheduleJobs({ controlPlane, intervalMs, log }) {
  let running = Promise.resolve();
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    running = runJobsOnce(controlPlane)
      .then((result) => log(summary(result)), (error) => log(`jobs failed: ${error.message}`))
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(tick, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Pure: one progress line from the jobs' answers. */
export function summary({ billing, drift, alerts }) {
  const list = (ids) => (ids.length ? ids.join(", ") : "none");
  const billingPart = billing.status === 200
    ? `billing ${billing.body.containers} container(s), paused ${list(billing.body.paused)}, upgraded ${list(billing.body.upgraded)}`
    : `billing answered ${billing.status} ${JSON.stringify(billing.body)}`;
  const driftPart = drift.status === 200
    ? `drift ${drift.body.checked} checked, repaired ${list(drift.body.repaired)}, failed ${list(drift.body.failed)}`
    : `drift answered ${drift.status} ${JSON.stringify(drift.body)}`;
  const alertsPart = !alerts ? null : alerts.status === 200
    ? `alerts ${alerts.body.open} open, opened ${list(alerts.body.opened.map((a) => `${a.kind} ${a.container_id}`))}, ` +
      `resolved ${list(alerts.body.resolved.map((a) => `${a.kind} ${a.container_id}`))}, ${alerts.body.deliveries.delivered.length} sent`
    : `alerts answered ${alerts.status} ${JSON.stringify(alerts.body)}`;
  return `jobs: ${billingPart}; ${driftPart}${alertsPart ? `; ${alertsPart}` : ""}`;
}
