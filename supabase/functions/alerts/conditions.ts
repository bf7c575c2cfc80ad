/**
 * The alert conditions, no I/O: from numbers the job gathered (usage, probes, the edge's
 * traffic and logs) to findings, and from findings and the open alerts to what changes.
 * A kind is `evaluated` for a container when this run could judge it; only then may an
 * open alert of that kind resolve (an edge that did not answer resolves nothing).
 */

export const ALERT_KINDS = [
  "quota_80",
  "quota_100",
  "origin_down",
  "origin_errors",
  "traffic_drop",
  "domain_unverified",
  "config_drift",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Finding {
  containerId: string;
  kind: AlertKind;
  /** Tells apart episodes of one kind in one container (a hostname); "" when there is one. */
  subject: string;
  details: Record<string, unknown>;
}

export interface OpenAlert {
  id: string;
  containerId: string;
  kind: AlertKind;
  subject: string;
}

export interface AlertPolicy {
  /** origin_down after this many failed /healthy probes in a row. */
  originFailures: number;
  /** origin_errors when the 5xx share of the window's requests is above this (0..1). */
  errorShare: number;
  /** …and the window holds at least this many requests (fewer cannot be judged). */
  errorMinRequests: number;
  errorWindowMinutes: number;
  /** traffic_drop when the last hours are below this share of the same hours' 7-day average… */
  trafficDropRatio: number;
  /** …which must be at least this many requests (a quiet site cannot drop). */
  trafficMinBaseline: number;
  trafficWindowHours: number;
}

export const DEFAULT_POLICY: AlertPolicy = {
  originFailures: 3,
  errorShare: 0.05,
  errorMinRequests: 20,
  errorWindowMinutes: 15,
  trafficDropRatio: 0.3,
  trafficMinBaseline: 100,
  trafficWindowHours: 3,
};

export const scopeKey = (containerId: string, kind: AlertKind) => `${containerId}|${kind}`;
const conditionKey = (c: { containerId: string; kind: AlertKind; subject: string }) => `${c.containerId}|${c.kind}|${c.subject}`;

export interface Transitions {
  opened: Finding[];
  /** Open alerts seen again, with what they look like now. */
  seen: { alert: OpenAlert; finding: Finding }[];
  resolved: OpenAlert[];
}

export function transitions(open: OpenAlert[], findings: Finding[], evaluated: Set<string>): Transitions {
  const openByKey = new Map(open.map((alert) => [conditionKey(alert), alert]));
  const found = new Map(findings.map((finding) => [conditionKey(finding), finding]));
  const opened: Finding[] = [];
  const seen: Transitions["seen"] = [];
  for (const [key, finding] of found) {
    const alert = openByKey.get(key);
    if (alert) seen.push({ alert, finding });
    else opened.push(finding);
  }
  const resolved = open.filter((alert) => !found.has(conditionKey(alert)) && evaluated.has(scopeKey(alert.containerId, alert.kind)));
  return { opened, seen, resolved };
}

// --- quota ------------------------------------------------------------------------------

export interface QuotaInput {
  containerId: string;
  /** The plan's monthly limit; null = unlimited. */
  limit: number | null;
  monthRequests: number;
  pausedForLimit: boolean;
}

export function quotaFindings(input: QuotaInput): Finding[] {
  const { containerId, limit, monthRequests, pausedForLimit } = input;
  if (limit === null) return [];
  const details = { month_requests: monthRequests, monthly_limit: limit, share: round(monthRequests / limit), paused: pausedForLimit };
  const findings: Finding[] = [];
  if (monthRequests >= 0.8 * limit || pausedForLimit) findings.push({ containerId, kind: "quota_80", subject: "", details });
  if (monthRequests >= limit || pausedForLimit) findings.push({ containerId, kind: "quota_100", subject: "", details });
  return findings;
}

// --- origin /healthy ----------------------------------------------------------------------

/** Failures in a row after one probe. */
export function nextFailures(previous: number, probeOk: boolean): number {
  return probeOk ? 0 : previous + 1;
}

export function originDownFinding(containerId: string, failures: number, lastError: string | null, policy: AlertPolicy): Finding | null {
  if (failures < policy.originFailures) return null;
  return { containerId, kind: "origin_down", subject: "", details: { consecutive_failures: failures, last_error: lastError } };
}

// --- 5xx share ----------------------------------------------------------------------------

/** The 5xx share of `statuses`; null when too few requests to judge. */
export function errorShareFinding(containerId: string, statuses: number[], policy: AlertPolicy): { evaluated: boolean; finding: Finding | null } {
  const requests = statuses.length;
  if (requests < policy.errorMinRequests) return { evaluated: false, finding: null };
  const errors = statuses.filter((status) => status >= 500 && status <= 599).length;
  const share = errors / requests;
  if (share <= policy.errorShare) return { evaluated: true, finding: null };
  return {
    evaluated: true,
    finding: {
      containerId,
      kind: "origin_errors",
      subject: "",
      details: { requests, errors_5xx: errors, share: round(share), threshold: policy.errorShare, window_minutes: policy.errorWindowMinutes },
    },
  };
}

// --- traffic drop -------------------------------------------------------------------------

const HOUR_MS = 3_600_000;

export const utcHour = (ms: number) => new Date(ms).toISOString().slice(0, 13);

/** The hours the traffic check reads: the last `windowHours` complete hours and the same hours of the 7 days before. */
export function trafficSpan(now: number, policy: AlertPolicy): { from: string; to: string } {
  const current = Math.floor(now / HOUR_MS) * HOUR_MS;
  return { from: utcHour(current - 7 * 24 * HOUR_MS - policy.trafficWindowHours * HOUR_MS), to: utcHour(current - HOUR_MS) };
}

/** Requests per hour (`YYYY-MM-DDTHH` -> count) against the 7-day average of the same hours. */
export function trafficDropFinding(containerId: string, perHour: Map<string, number>, now: number, policy: AlertPolicy): Finding | null {
  const current = Math.floor(now / HOUR_MS) * HOUR_MS;
  const windowSum = (daysBack: number) => {
    let sum = 0;
    for (let h = 1; h <= policy.trafficWindowHours; h++) sum += perHour.get(utcHour(current - h * HOUR_MS - daysBack * 24 * HOUR_MS)) ?? 0;
    return sum;
  };
  const recent = windowSum(0);
  let total = 0;
  for (let day = 1; day <= 7; day++) total += windowSum(day);
  const baseline = total / 7;
  if (baseline < policy.trafficMinBaseline || recent >= baseline * policy.trafficDropRatio) return null;
  return {
    containerId,
    kind: "traffic_drop",
    subject: "",
    details: {
      recent_requests: recent,
      baseline_requests: round(baseline),
      window_hours: policy.trafficWindowHours,
      ratio: round(recent / baseline),
      threshold: policy.trafficDropRatio,
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
