/**
 * One access-log entry per public request, for Analytics Engine (sampled
 * metrics) and R2 (raw NDJSON, batched by the Durable Object).
 * No raw client IP is ever part of an entry.
 */

export interface AccessLogEntry {
  ts: number;
  container_id: string;
  site_id: string | null;
  host: string;
  path_class: "collect" | "recovery" | "loader" | "boot" | "detection" | "gtm" | "other";
  method: string;
  status: number;
  latency_ms: number;
  recovered: boolean;
  paused: boolean;
  country: string | null;
  config_version: number;
  /** Only when the bot filter ran (docs/power-ups.md). */
  bot?: boolean;
  /** Only when a power-up refused the request at the edge (uncounted). */
  blocked?: "ip" | "bot";
}

const COLLECT_PATHS: ReadonlySet<string> = new Set(["/g/collect", "/collect", "/r/collect", "/ccm/collect", "/j/collect", "/mp/collect"]);
const GTM_PATHS: ReadonlySet<string> = new Set(["/gtm.js", "/gtag/js", "/gtag/destination", "/ns.html"]);

export function pathClass(pathname: string): AccessLogEntry["path_class"] {
  if (COLLECT_PATHS.has(pathname)) return "collect";
  if (pathname.startsWith("/k/")) return "recovery";
  if (/^\/l\/[^/]+\.js$/.test(pathname)) return "loader";
  if (pathname === "/boot") return "boot";
  if (pathname === "/mark-session-detection") return "detection";
  if (GTM_PATHS.has(pathname)) return "gtm";
  return "other";
}

/**
 * Analytics Engine layout (query with SQL over the `qaxal_edge_access` dataset):
 *   index1  = container_id (the sampling key)
 *   blob1   = site_id ("" when none)   blob2 = host        blob3 = path_class
 *   blob4   = method                   blob5 = country ("" when unknown)
 *   double1 = status                   double2 = latency_ms
 *   double3 = recovered (0/1)          double4 = paused (0/1)
 *   double5 = config_version           double6 = ts (epoch ms)
 * and, only on requests a power-up looked at (docs/power-ups.md):
 *   blob6   = blocked ("ip", "bot" or "")  double7 = bot (0/1)
 */
export function analyticsDataPoint(e: AccessLogEntry): AnalyticsEngineDataPoint {
  const filtered = e.bot !== undefined || e.blocked !== undefined;
  return {
    indexes: [e.container_id],
    blobs: [e.site_id ?? "", e.host, e.path_class, e.method, e.country ?? "", ...(filtered ? [e.blocked ?? ""] : [])],
    doubles: [e.status, e.latency_ms, e.recovered ? 1 : 0, e.paused ? 1 : 0, e.config_version, e.ts, ...(filtered ? [e.bot || e.blocked === "bot" ? 1 : 0] : [])],
  };
}

/** One NDJSON line (no newline), fields in a fixed order; anything not in the entry type is left out. */
export function logLine(e: AccessLogEntry): string {
  return JSON.stringify(pickEntryFields(e));
}

function pickEntryFields(e: AccessLogEntry): AccessLogEntry {
  return {
    ts: e.ts,
    container_id: e.container_id,
    site_id: e.site_id,
    host: e.host,
    path_class: e.path_class,
    method: e.method,
    status: e.status,
    latency_ms: e.latency_ms,
    recovered: e.recovered,
    paused: e.paused,
    country: e.country,
    config_version: e.config_version,
    ...(e.bot !== undefined ? { bot: e.bot } : {}),
    ...(e.blocked !== undefined ? { blocked: e.blocked } : {}),
  };
}
