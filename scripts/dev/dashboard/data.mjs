// What the operator dashboard shows. Two read APIs, both usable by a customer-facing app:
//   - the control plane's Postgres views and tables through supabase-js (RLS decides the rows;
//     the dashboard reads as the service role): containers, sync state, 30-day usage
//     (container_usage_daily), loader sessions (container_session_stats), quota
//     (container_quota), domain states (container_domain_states), open alerts (public.alerts);
//   - the edge's admin API for its own data: version, pause and today's count (GET), requests
//     per hour (traffic), the raw access log (logs).
//
// Recovery share: of the sGTM requests (hits and GTM scripts) of the last 30 days, those that
// arrived through the recovery path. Blocked share: of the loader sessions of the last 30
// days, those with an ad blocker or ITP detected.
import { createClient } from "@supabase/supabase-js";
import WebSocket from "ws";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const CHART_DAYS = 30;
const CHART_HOURS = 48;
const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx", "other"];
/** Path classes that reach sGTM: the recovery share is taken over these. */
const SGTM_CLASSES = new Set(["collect", "recovery", "gtm"]);
/** PostgREST's and Postgres's "no such relation": the alerts table may not exist yet. */
const MISSING_RELATION = new Set(["42P01", "PGRST205"]);

/** supabase-js on the Data API at `restUrl`, with `key` (service role key or a user's JWT) as the caller. */
export function readApi(restUrl, key) {
  return createClient(restUrl, "local-anon-key", {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { headers: { Authorization: `Bearer ${key}` } },
    // Never used here; supabase-js builds its realtime client eagerly and Node 20 has no WebSocket of its own.
    realtime: { transport: WebSocket },
  });
}

async function rows(query, what) {
  const { data, error } = await query;
  if (error) throw new Error(`${what}: ${error.code ?? ""} ${error.message}`);
  return data;
}

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

/** The overview: every live container, `admin` from platform/api.mjs, `db` from readApi(). */
export async function dashboardData({ admin, db }) {
  const list = await admin.list();
  const edgeIds = list.status === 200 ? list.body.containers : [];
  const [replies, containers, syncStates, outbox, sessions] = await Promise.all([
    Promise.all(edgeIds.map(async (id) => [id, await admin.get(id)])),
    rows(db.from("sgtm_containers").select("id,name,status,config_version").in("status", ["active", "paused"]), "sgtm_containers"),
    rows(db.from("edge_sync_state").select("container_id,last_error"), "edge_sync_state"),
    // Operators only (no member reads the outbox): a customer's app gets an error here and shows none.
    db.from("edge_sync_outbox").select("container_id,last_error,attempts").eq("status", "pending").then(({ data }) => data ?? []),
    rows(db.from("container_session_stats").select("container_id,sessions,blocked_sessions"), "container_session_stats"),
  ]);
  const by = (list, key = "container_id") => new Map(list.map((row) => [row[key], row]));
  const [syncOf, outboxOf, sessionsOf] = [by(syncStates), by(outbox), by(sessions)];
  const dbRows = containers.map((c) => ({
    ...c,
    sync_error: syncOf.get(c.id)?.last_error ?? null,
    outbox_error: outboxOf.get(c.id)?.last_error ?? null,
    outbox_attempts: outboxOf.get(c.id)?.attempts ?? null,
    sessions: sessionsOf.get(c.id)?.sessions ?? 0,
    blocked_sessions: sessionsOf.get(c.id)?.blocked_sessions ?? 0,
  }));
  return {
    generated_at: new Date().toISOString(),
    edge: list.status === 200 ? "ok" : `admin list answered ${list.status}`,
    containers: dashboardRows(new Map(replies), dbRows),
  };
}

const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const utcHour = (ms) => new Date(ms).toISOString().slice(0, 13);

/**
 * Pure: the charts and shares of one container.
 * @param {{ day: string, requests: number }[]} usageDays billed requests per day (Postgres)
 * @param {{ hour: string, path_class: string, status_class: string, recovered: boolean, requests: number }[]} traffic edge hours
 */
export function containerCharts(usageDays, traffic, now) {
  const days = Array.from({ length: CHART_DAYS }, (_, i) => utcDay(now - (CHART_DAYS - 1 - i) * DAY_MS));
  const billed = new Map(usageDays.map((d) => [String(d.day).slice(0, 10), Number(d.requests)]));
  const served = new Map();
  const hours = Array.from({ length: CHART_HOURS }, (_, i) => utcHour(now - (CHART_HOURS - 1 - i) * HOUR_MS));
  const perHour = new Map(hours.map((hour) => [hour, Object.fromEntries(STATUS_CLASSES.map((c) => [c, 0]))]));
  const mix = Object.fromEntries(STATUS_CLASSES.map((c) => [c, 0]));
  let recovered = 0;
  let plain = 0;
  for (const row of traffic) {
    const day = row.hour.slice(0, 10);
    if (day < days[0]) continue;
    served.set(day, (served.get(day) ?? 0) + row.requests);
    mix[row.status_class] = (mix[row.status_class] ?? 0) + row.requests;
    if (SGTM_CLASSES.has(row.path_class) || row.recovered) {
      if (row.recovered || row.path_class === "recovery") recovered += row.requests;
      else plain += row.requests;
    }
    const hour = perHour.get(row.hour);
    if (hour) hour[row.status_class] += row.requests;
  }
  const total = STATUS_CLASSES.reduce((sum, c) => sum + mix[c], 0);
  return {
    days: { day: days, billed: days.map((d) => billed.get(d) ?? 0), served: days.map((d) => served.get(d) ?? 0) },
    hours: {
      hour: hours,
      ...Object.fromEntries(STATUS_CLASSES.map((c) => [c, hours.map((h) => perHour.get(h)[c])])),
      total: hours.map((h) => STATUS_CLASSES.reduce((sum, c) => sum + perHour.get(h)[c], 0)),
    },
    recovery: { recovered, plain, share: recovered + plain ? recovered / (recovered + plain) : null },
    status_mix: { ...mix, total },
  };
}

/**
 * Pure: the quota gauge from the plan's limit and the month's requests. The edge counts live
 * (and enforces), billing stores its copy (what alerts and invoices use); they differ by the
 * billing job's lag, and the gauge shows the higher of the two.
 */
export function quotaGauge(quota, inspection) {
  const limit = inspection?.config?.plan?.monthly_request_limit ?? (quota?.monthly_request_limit == null ? null : Number(quota.monthly_request_limit));
  const edge = inspection?.usage?.month_requests ?? null;
  const billed = quota ? Number(quota.month_requests ?? 0) : null;
  const used = Math.max(edge ?? 0, billed ?? 0);
  return {
    plan_id: quota?.plan_id ?? null,
    limit,
    used,
    edge,
    billed,
    share: limit ? used / limit : null,
    auto_upgrade: inspection?.config?.plan?.auto_upgrade ?? quota?.auto_upgrade ?? false,
  };
}

/** One container in full: charts, shares, quota, domains, open alerts. */
export async function containerDetail({ admin, db, id, now = Date.now() }) {
  const from = utcHour(now - CHART_DAYS * DAY_MS);
  const [inspected, traffic, usage, quota, sessions, domains, alerts] = await Promise.all([
    admin.get(id),
    admin.traffic(id, from, utcHour(now)),
    rows(db.from("container_usage_daily").select("day,requests").eq("container_id", id).gte("day", utcDay(now - CHART_DAYS * DAY_MS)), "container_usage_daily"),
    rows(db.from("container_quota").select("*").eq("container_id", id), "container_quota"),
    rows(db.from("container_session_stats").select("*").eq("container_id", id), "container_session_stats"),
    rows(db.from("container_domain_states").select("*").eq("container_id", id).order("created_at"), "container_domain_states"),
    openAlerts(db, id),
  ]);
  if (quota.length === 0 && inspected.status === 404) return null;
  const inspection = inspected.status === 200 ? inspected.body : null;
  const stats = sessions[0];
  const blocked = Number(stats?.blocked_sessions ?? 0);
  const total = Number(stats?.sessions ?? 0);
  return {
    id,
    name: quota[0]?.name ?? null,
    status: quota[0]?.status ?? null,
    paused: inspection?.paused ?? null,
    edge: inspected.status === 200 ? "ok" : `edge GET answered ${inspected.status}`,
    ...containerCharts(usage, traffic.status === 200 ? traffic.body.hours : [], now),
    traffic_error: traffic.status === 200 ? null : `edge traffic answered ${traffic.status}`,
    sessions: {
      total,
      adblock: Number(stats?.adblock_sessions ?? 0),
      itp: Number(stats?.itp_sessions ?? 0),
      blocked,
      share: total ? blocked / total : null,
    },
    quota: quotaGauge(quota[0], inspection),
    domains: domains.map((d) => ({
      id: d.id, hostname: d.hostname, state: d.state, is_primary: d.is_primary, problems: d.problems, checked_at: d.checked_at,
    })),
    alerts,
  };
}

/** Open alerts of the container; `{ available: false }` while the alerts table does not exist. */
export async function openAlerts(db, id) {
  const { data, error } = await db.from("alerts").select("*").eq("container_id", id).eq("status", "open").order("first_seen_at", { ascending: false });
  if (error && MISSING_RELATION.has(error.code)) return { available: false, open: [] };
  if (error) throw new Error(`alerts: ${error.code ?? ""} ${error.message}`);
  return { available: true, open: data };
}

const LOG_PARAMS = ["cursor", "limit", "status", "kind", "from", "to"];

/** The edge's log page for the container, the filters passed on as given (the edge checks them). */
export async function containerLogs({ admin, id, searchParams }) {
  const query = Object.fromEntries(LOG_PARAMS.filter((name) => searchParams.get(name)).map((name) => [name, searchParams.get(name)]));
  return admin.logs(id, query);
}
