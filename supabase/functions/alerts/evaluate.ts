/**
 * One look at every live container, from real data: the month's usage as billing-usage
 * stored it, a probe of the sGTM origin's /healthy path (the control plane's own, with the
 * container's X-Origin-Auth), the edge's access log of the last minutes (5xx share) and
 * its requests per hour (traffic drop), the hostnames' states and the nightly drift verdict.
 * What could not be asked (the edge did not answer) is left unevaluated.
 */
import { USAGE_LIMIT_REASON } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import {
  ALERT_KINDS,
  type AlertKind,
  type AlertPolicy,
  errorShareFinding,
  type Finding,
  nextFailures,
  originDownFinding,
  quotaFindings,
  scopeKey,
  trafficDropFinding,
  trafficSpan,
} from "./conditions.ts";

const PROBE_TIMEOUT_MS = 5_000;
const CONCURRENCY = 8;
/** Pages of the log read for the 5xx share: the newest requests of the window, at most 1,000. */
const LOG_PAGES = 5;
const LOG_PAGE_LINES = 200;

export interface LiveContainer {
  id: string;
  client_id: string;
  name: string;
  origin: string | null;
  origin_secret: string;
  paused_reason: string | null;
  monthly_limit: number | null;
  month_requests: number;
}

export type Probe = (origin: string, originSecret: string) => Promise<{ ok: boolean; error: string | null }>;

export interface EvaluateDeps {
  sql: Sql;
  edge: EdgeAdmin;
  probe: Probe;
  policy: AlertPolicy;
  now: number;
  /** Only these containers (an operator checking some now); default every live one. */
  only?: string[];
}

export interface Evaluation {
  containers: LiveContainer[];
  findings: Finding[];
  evaluated: Set<string>;
  /** Checks that could not be made, as "container kind: why". */
  unevaluated: string[];
}

export async function evaluate(deps: EvaluateDeps): Promise<Evaluation> {
  const containers = await liveContainers(deps.sql, deps.now, deps.only ?? null);
  const findings: Finding[] = [];
  const evaluated = new Set<string>();
  const unevaluated: string[] = [];
  const mark = (id: string, ...kinds: AlertKind[]) => kinds.forEach((kind) => evaluated.add(scopeKey(id, kind)));

  for (const c of containers) {
    findings.push(...quotaFindings({
      containerId: c.id,
      limit: c.monthly_limit,
      monthRequests: c.month_requests,
      pausedForLimit: c.paused_reason === USAGE_LIMIT_REASON,
    }));
    mark(c.id, "quota_80", "quota_100", "domain_unverified", "config_drift");
  }
  findings.push(...await domainFindings(deps.sql), ...await driftFindings(deps.sql));

  await eachLimited(containers, async (c) => {
    const origin = await originFinding(deps, c);
    if (origin.evaluated) mark(c.id, "origin_down");
    if (origin.finding) findings.push(origin.finding);

    const errors = await errorsFinding(deps, c.id);
    if (errors.evaluated) mark(c.id, "origin_errors");
    else if (errors.why) unevaluated.push(`${c.id} origin_errors: ${errors.why}`);
    if (errors.finding) findings.push(errors.finding);

    const traffic = await trafficFinding(deps, c.id);
    if (traffic.evaluated) mark(c.id, "traffic_drop");
    else unevaluated.push(`${c.id} traffic_drop: ${traffic.why}`);
    if (traffic.finding) findings.push(traffic.finding);
  });

  // A container no longer live (deleted, failed) has nothing left to alert about.
  const live = new Set(containers.map((c) => c.id));
  const only = deps.only ?? null;
  const stale = await deps.sql<{ container_id: string }[]>`
    select distinct container_id from public.alerts
    where status = 'open' and (${only}::uuid[] is null or container_id = any(${only}::uuid[]))`;
  for (const { container_id } of stale) if (!live.has(container_id)) mark(container_id, ...ALERT_KINDS);
  return { containers, findings: findings.filter((finding) => live.has(finding.containerId)), evaluated, unevaluated };
}

async function liveContainers(sql: Sql, now: number, only: string[] | null): Promise<LiveContainer[]> {
  const day = new Date(now).toISOString().slice(0, 10);
  const rows = await sql`
    select c.id, c.client_id, c.name, c.origin, c.origin_secret, c.paused_reason, p.monthly_request_limit,
           (select coalesce(sum(u.requests), 0) from public.sgtm_usage_daily_cf u
            where u.container_id = c.id and u.day between date_trunc('month', ${day}::date)::date and ${day}::date) as month_requests
    from public.sgtm_containers c
    left join public.subscriptions s on s.container_id = c.id and s.status <> 'canceled'
    left join public.plans p on p.id = s.plan_id
    where public.edge_config_live(c.status) and (${only}::uuid[] is null or c.id = any(${only}::uuid[]))
    order by c.created_at, c.id`;
  return rows.map((row) => ({
    id: row.id,
    client_id: row.client_id,
    name: row.name,
    origin: row.origin,
    origin_secret: row.origin_secret,
    paused_reason: row.paused_reason,
    monthly_limit: row.monthly_request_limit === null ? null : Number(row.monthly_request_limit),
    month_requests: Number(row.month_requests),
  }));
}

/** Probes /healthy and keeps the count of failures in a row in public.origin_health. */
async function originFinding(deps: EvaluateDeps, c: LiveContainer): Promise<{ evaluated: boolean; finding: Finding | null }> {
  if (!c.origin) return { evaluated: true, finding: null };
  const probe = await deps.probe(c.origin, c.origin_secret);
  const [previous] = await deps.sql<{ consecutive_failures: number }[]>`
    select consecutive_failures from public.origin_health where container_id = ${c.id}`;
  const failures = nextFailures(previous?.consecutive_failures ?? 0, probe.ok);
  const lastError = probe.ok ? null : (probe.error ?? "failed").slice(0, 200);
  await deps.sql`
    insert into public.origin_health (container_id, consecutive_failures, last_checked_at, last_error)
    values (${c.id}, ${failures}, now(), ${lastError})
    on conflict (container_id) do update
      set consecutive_failures = excluded.consecutive_failures, last_checked_at = now(), last_error = excluded.last_error`;
  return { evaluated: true, finding: originDownFinding(c.id, failures, lastError, deps.policy) };
}

/** The 5xx share among the newest requests of the window, from the edge's access log. */
async function errorsFinding(deps: EvaluateDeps, id: string): Promise<{ evaluated: boolean; finding: Finding | null; why?: string }> {
  const to = new Date(deps.now).toISOString();
  const from = new Date(deps.now - deps.policy.errorWindowMinutes * 60_000).toISOString();
  const statuses: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < LOG_PAGES; page++) {
    const query: Record<string, string> = { from, to, limit: String(LOG_PAGE_LINES), ...(cursor ? { cursor } : {}) };
    const reply = await deps.edge.getLogs(id, query);
    const body = reply.kind === "answered" && reply.status === 200 ? reply.body as { lines?: unknown; next_cursor?: unknown } : null;
    if (!body || !Array.isArray(body.lines)) return { evaluated: false, finding: null, why: `logs: ${describeReply(reply)}` };
    for (const line of body.lines) if (typeof line?.status === "number") statuses.push(line.status);
    cursor = typeof body.next_cursor === "string" ? body.next_cursor : null;
    if (!cursor) break;
  }
  return errorShareFinding(id, statuses, deps.policy);
}

async function trafficFinding(deps: EvaluateDeps, id: string): Promise<{ evaluated: boolean; finding: Finding | null; why?: string }> {
  const { from, to } = trafficSpan(deps.now, deps.policy);
  const reply = await deps.edge.getTraffic(id, from, to);
  const hours = reply.kind === "answered" && reply.status === 200 ? (reply.body as { hours?: unknown }).hours : null;
  if (!Array.isArray(hours)) return { evaluated: false, finding: null, why: `traffic: ${describeReply(reply)}` };
  const perHour = new Map<string, number>();
  for (const row of hours) {
    if (typeof row?.hour === "string" && typeof row.requests === "number") perHour.set(row.hour, (perHour.get(row.hour) ?? 0) + row.requests);
  }
  return { evaluated: true, finding: trafficDropFinding(id, perHour, deps.now, deps.policy) };
}

/** Hostnames that lapsed, or whose verification found problems, and that the site has not verified again. */
async function domainFindings(sql: Sql): Promise<Finding[]> {
  const rows = await sql`
    select distinct on (s.container_id, d.hostname) s.container_id, d.hostname, d.verification_state, d.problems, d.checked_at
    from public.site_domains d
    join public.sites s on s.id = d.site_id
    join public.sgtm_containers c on c.id = s.container_id
    where public.edge_config_live(c.status)
      and (d.verification_state = 'lapsed'
           or (d.verification_state = 'pending' and d.checked_at is not null and d.problems <> '[]'::jsonb))
      and not exists (select 1 from public.site_domains v
                      where v.site_id = d.site_id and v.hostname = d.hostname and v.verification_state = 'verified')
    order by s.container_id, d.hostname, d.state_changed_at desc`;
  return rows.map((row) => ({
    containerId: row.container_id,
    kind: "domain_unverified" as const,
    subject: row.hostname,
    details: {
      hostname: row.hostname,
      state: row.verification_state,
      problems: (row.problems as { code: string }[]).map((problem) => problem.code).join(", "),
    },
  }));
}

async function driftFindings(sql: Sql): Promise<Finding[]> {
  const rows = await sql`
    select d.container_id, d.checked_at from public.drift_checks d
    join public.sgtm_containers c on c.id = d.container_id
    where d.verdict = 'failed' and public.edge_config_live(c.status)`;
  return rows.map((row) => ({
    containerId: row.container_id,
    kind: "config_drift" as const,
    subject: "",
    details: { checked_at: new Date(row.checked_at).toISOString() },
  }));
}

/** GET {origin}/healthy: 2xx within the time bound is healthy. */
export const probeHealthy: Probe = async (origin, originSecret) => {
  try {
    const response = await fetch(`${origin.replace(/\/+$/, "")}/healthy`, {
      headers: { "x-origin-auth": originSecret },
      redirect: "manual",
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok ? { ok: true, error: null } : { ok: false, error: `/healthy answered ${response.status}` };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return { ok: false, error: timedOut ? "/healthy timed out" : `/healthy: ${error instanceof Error ? error.message : String(error)}` };
  }
};

function describeReply(reply: Awaited<ReturnType<EdgeAdmin["getLogs"]>>): string {
  return reply.kind === "unavailable" ? reply.message : `edge answered ${reply.status}`;
}

async function eachLimited<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await fn(next);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}
