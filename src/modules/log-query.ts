/**
 * Reading the access log back (admin GET /containers/{id}/logs) and counting it per hour
 * (the container object's traffic table): R2 object keys that list newest first, the
 * query's filters, the paging cursor, and the hourly buckets of the requests. Pure.
 */
import type { AccessLogEntry } from "./access-log";

/** What the dashboard filters by: one kind per line. */
export type LogKind = "loader" | "gtm" | "hit" | "recovered" | "other";
export const LOG_KINDS: readonly LogKind[] = ["loader", "gtm", "hit", "recovered", "other"];

export type StatusClass = "2xx" | "3xx" | "4xx" | "5xx" | "other";

export function logKind(entry: Pick<AccessLogEntry, "path_class" | "recovered">): LogKind {
  if (entry.recovered || entry.path_class === "recovery") return "recovered";
  if (entry.path_class === "loader") return "loader";
  if (entry.path_class === "gtm") return "gtm";
  if (entry.path_class === "collect") return "hit";
  return "other";
}

export function statusClass(status: number): StatusClass {
  return status >= 200 && status < 600 ? (`${Math.floor(status / 100)}xx` as StatusClass) : "other";
}

// --- R2 keys ------------------------------------------------------------------------------

/** Outbox ids stay far below this; the key holds INVERTED_BASE - lastId so R2's ascending list is newest first. */
const INVERTED_BASE = 10 ** 15;
const KEY_RE = /^logs\/([^/]+)\/(\d{4}-\d{2}-\d{2})\/(?:\d{15}-)?(\d+)-(\d+)\.ndjson$/;

export function logObjectKey(containerId: string, day: string, firstId: number, lastId: number): string {
  return `${logDayPrefix(containerId, day)}${String(INVERTED_BASE - lastId).padStart(15, "0")}-${firstId}-${lastId}.ndjson`;
}

export function logDayPrefix(containerId: string, day: string): string {
  return `logs/${containerId}/${day}/`;
}

// --- the query ----------------------------------------------------------------------------

export interface LogQuery {
  limit: number;
  /** Exact status, or a class such as "4xx". */
  status: { code: number } | { class: StatusClass } | null;
  kind: LogKind | null;
  fromMs: number;
  toMs: number;
  cursor: LogCursor | null;
}

/** Where the previous page stopped: in object `key` of flush day `day`, after its newest `skip` lines. */
export interface LogCursor {
  day: string;
  key: string;
  skip: number;
}

export const DEFAULT_LOG_LIMIT = 50;
export const MAX_LOG_LIMIT = 200;
export const DEFAULT_LOG_WINDOW_MS = 7 * 86_400_000;
export const MAX_LOG_WINDOW_MS = 31 * 86_400_000;
const TIME_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?Z)?$/;

type Issue = { path: string; message: string };
type RawQuery = Record<string, string | string[] | undefined>;

/** The admin query string as a LogQuery, or the issues naming each bad parameter. */
export function parseLogQuery(raw: RawQuery, now: number): { ok: true; query: LogQuery } | { ok: false; issues: Issue[] } {
  const issues: Issue[] = [];
  const one = (name: string): string | undefined => {
    const value = raw[name];
    if (Array.isArray(value)) {
      issues.push({ path: name, message: "must be given once" });
      return undefined;
    }
    return value === "" ? undefined : value;
  };
  const limitText = one("limit");
  const limit = limitText === undefined ? DEFAULT_LOG_LIMIT : Number(limitText);
  if (!/^\d{1,3}$/.test(limitText ?? "1") || limit < 1 || limit > MAX_LOG_LIMIT) {
    issues.push({ path: "limit", message: `must be a whole number from 1 to ${MAX_LOG_LIMIT}` });
  }
  const statusText = one("status");
  let status: LogQuery["status"] = null;
  if (statusText !== undefined) {
    if (/^[1-5]\d\d$/.test(statusText)) status = { code: Number(statusText) };
    else if (/^[2-5]xx$/.test(statusText)) status = { class: statusText as StatusClass };
    else issues.push({ path: "status", message: "must be a status code (404) or a class (2xx, 3xx, 4xx, 5xx)" });
  }
  const kindText = one("kind");
  const kind = kindText === undefined ? null : (LOG_KINDS as readonly string[]).includes(kindText) ? (kindText as LogKind) : undefined;
  if (kind === undefined) issues.push({ path: "kind", message: `must be one of ${LOG_KINDS.join(", ")}` });
  const toMs = parseTime(one("to"), now, "to", issues);
  const fromMs = parseTime(one("from"), toMs - DEFAULT_LOG_WINDOW_MS, "from", issues);
  if (issues.length === 0 && fromMs > toMs) issues.push({ path: "from", message: "must not be after to" });
  else if (issues.length === 0 && toMs - fromMs > MAX_LOG_WINDOW_MS) {
    issues.push({ path: "from", message: `from and to may be at most ${MAX_LOG_WINDOW_MS / 86_400_000} days apart` });
  }
  const cursorText = one("cursor");
  const cursor = cursorText === undefined ? null : decodeCursor(cursorText);
  if (cursor === undefined) issues.push({ path: "cursor", message: "is not a cursor this endpoint returned" });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, query: { limit, status, kind: kind ?? null, fromMs, toMs, cursor: cursor ?? null } };
}

function parseTime(text: string | undefined, fallback: number, path: string, issues: Issue[]): number {
  if (text === undefined) return fallback;
  const ms = TIME_RE.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) issues.push({ path, message: "must be a UTC time such as 2026-12-01T10:00:00Z or a day 2026-12-01" });
  return ms;
}

export function encodeCursor(cursor: LogCursor): string {
  return btoa(JSON.stringify([cursor.day, cursor.key, cursor.skip])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Undefined for anything that is not a cursor of a well-formed key. */
export function decodeCursor(text: string): LogCursor | undefined {
  if (text.length > 600 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const [day, key, skip] = JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/"))) as unknown[];
    if (typeof day !== "string" || typeof key !== "string" || !Number.isInteger(skip) || (skip as number) < 0) return undefined;
    const match = KEY_RE.exec(key);
    return match && match[2] === day ? { day, key, skip: skip as number } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the key is an object of this container's log (a cursor must not lead elsewhere). */
export function isLogKeyOf(containerId: string, key: string): boolean {
  return KEY_RE.exec(key)?.[1] === containerId;
}

/** UTC days from `toMs`'s down to `fromMs`'s, newest first. */
export function daysNewestFirst(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  const first = Date.parse(`${new Date(fromMs).toISOString().slice(0, 10)}T00:00:00Z`);
  for (let t = Date.parse(`${new Date(toMs).toISOString().slice(0, 10)}T00:00:00Z`); t >= first; t -= 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

// --- lines --------------------------------------------------------------------------------

/**
 * A stored line as the API shows it: only the fields of AccessLogEntry, so nothing else a
 * line might hold (an address, a header) is ever shown. Null for a line that is not one.
 */
export function entryFromLine(line: string): AccessLogEntry | null {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (!value || typeof value !== "object" || typeof value.ts !== "number" || typeof value.status !== "number") return null;
  const text = (name: string) => (typeof value[name] === "string" ? (value[name] as string) : null);
  const number = (name: string) => (typeof value[name] === "number" ? (value[name] as number) : 0);
  return {
    ts: value.ts,
    container_id: text("container_id") ?? "",
    site_id: text("site_id"),
    host: text("host") ?? "",
    path_class: (text("path_class") ?? "other") as AccessLogEntry["path_class"],
    method: text("method") ?? "",
    status: value.status,
    latency_ms: number("latency_ms"),
    recovered: value.recovered === true,
    paused: value.paused === true,
    country: text("country"),
    config_version: number("config_version"),
    ...(typeof value.bot === "boolean" ? { bot: value.bot } : {}),
    ...(value.blocked === "ip" || value.blocked === "bot" ? { blocked: value.blocked } : {}),
  };
}

export function lineMatches(entry: AccessLogEntry, query: LogQuery): boolean {
  if (entry.ts < query.fromMs || entry.ts > query.toMs) return false;
  if (query.kind && logKind(entry) !== query.kind) return false;
  if (query.status && "code" in query.status && entry.status !== query.status.code) return false;
  if (query.status && "class" in query.status && statusClass(entry.status) !== query.status.class) return false;
  return true;
}

// --- hourly traffic -----------------------------------------------------------------------

export interface TrafficBucket {
  hour: string;
  path_class: AccessLogEntry["path_class"];
  status_class: StatusClass;
  recovered: boolean;
}

/** `2026-12-01T13`: the UTC hour of a time. */
export function utcHour(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

const HOUR_MS = 3_600_000;

/**
 * Requests per hourly bucket, counted from entries as they are logged: the Worker tallies a
 * batch's requests, so the object adds a few counts instead of parsing every line again.
 */
export class TrafficTally {
  private readonly counts = new Map<string, TrafficBucket & { requests: number }>();

  add(entry: Pick<AccessLogEntry, "ts" | "path_class" | "status" | "recovered">): void {
    const status_class = statusClass(entry.status);
    // The hour's number, not its text, in the key: the text is made once per bucket.
    const key = `${Math.floor(entry.ts / HOUR_MS)} ${entry.path_class} ${status_class} ${entry.recovered}`;
    const counted = this.counts.get(key);
    if (counted) counted.requests++;
    else this.counts.set(key, { hour: utcHour(entry.ts), path_class: entry.path_class, status_class, recovered: entry.recovered, requests: 1 });
  }

  get list(): Array<TrafficBucket & { requests: number }> {
    return [...this.counts.values()];
  }
}
