// What the operator dashboard shows, per container: the edge's view (admin GET: version,
// pause, today's and this month's requests, log and detection delivery) joined with the
// control plane's (name, status, version in the database, last sync error, loader sessions).
//
// Recovery rate: of the loader sessions of the last 30 days, the share that had a blocker or
// ITP detected, i.e. sessions whose tags only reached sGTM through the recovery path (/k/).

/** Pure: one row per container from the edge replies and the database rows. */
export function dashboardRows(edgeById, dbRows) {
  const ids = [...new Set([...dbRows.map((row) => row.id), ...edgeById.keys()])].sort();
  const dbById = new Map(dbRows.map((row) => [row.id, row]));
  return ids.map((id) => {
    const edge = edgeById.get(id);
    const db = dbById.get(id);
    const inspection = edge?.status === 200 ? edge.body : null;
    const sessions = Number(db?.sessions ?? 0);
    const blocked = Number(db?.blocked_sessions ?? 0);
    return {
      id,
      name: db?.name ?? null,
      status: db?.status ?? null,
      db_version: db?.config_version ?? null,
      edge_version: inspection?.config_version ?? null,
      paused: inspection?.paused ?? null,
      day_requests: inspection?.usage?.day_requests ?? null,
      month_requests: inspection?.usage?.month_requests ?? null,
      sessions_30d: sessions,
      recovery_rate: sessions ? blocked / sessions : null,
      errors: errorsOf(edge, inspection, db),
    };
  });
}

function errorsOf(edge, inspection, db) {
  const errors = [];
  if (!edge) errors.push("not at the edge");
  else if (edge.status !== 200) errors.push(`edge GET: ${edge.status} ${JSON.stringify(edge.body)}`);
  if (db && inspection && db.config_version !== inspection.config_version) {
    errors.push(`drift: database v${db.config_version}, edge v${inspection.config_version}`);
  }
  if (db?.sync_error) errors.push(`sync: ${db.sync_error}`);
  if (db?.outbox_error) errors.push(`outbox (attempt ${db.outbox_attempts}): ${db.outbox_error}`);
  if (inspection?.logs?.dropped) errors.push(`${inspection.logs.dropped} log lines dropped`);
  if (inspection?.logs?.failed_flushes) errors.push(`${inspection.logs.failed_flushes} failed log flushes to R2`);
  if (inspection?.detections?.failed_deliveries) {
    errors.push(`${inspection.detections.failed_deliveries} failed detection deliveries`);
  }
  return errors;
}

/** Gathers both views; `admin` from platform/api.mjs, `sql` a postgres.js client. */
export async function dashboardData({ admin, sql }) {
  const list = await admin.list();
  const edgeIds = list.status === 200 ? list.body.containers : [];
  const replies = await Promise.all(edgeIds.map(async (id) => [id, await admin.get(id)]));
  const dbRows = await sql`
    select c.id, c.name, c.status, c.config_version,
           st.last_error as sync_error, o.last_error as outbox_error, o.attempts as outbox_attempts,
           (select count(*) from public.loader_sessions ls
             where ls.container_id = c.id and ls.detected_at > now() - interval '30 days') as sessions,
           (select count(*) from public.loader_sessions ls
             where ls.container_id = c.id and ls.detected_at > now() - interval '30 days' and (ls.adblock or ls.itp))
             as blocked_sessions
    from public.sgtm_containers c
    left join public.edge_sync_state st on st.container_id = c.id
    left join public.edge_sync_outbox o on o.container_id = c.id and o.status = 'pending'
    where public.edge_config_live(c.status)`;
  return {
    generated_at: new Date().toISOString(),
    edge: list.status === 200 ? "ok" : `admin list answered ${list.status}`,
    containers: dashboardRows(new Map(replies), dbRows),
  };
}
