/**
 * Admin API, a container's own traffic (issue 16): its raw access log from R2, newest first
 * and filtered, and its requests per UTC hour from its object. Registered by admin.ts, whose
 * Bearer check runs first.
 *
 * Log pages: objects are listed per flush day (their keys list newest first,
 * src/modules/log-query.ts) and read until the page is full or MAX_OBJECTS_PER_PAGE objects
 * were read, so one call's work is bounded and `next_cursor` goes on where it stopped (a page
 * may hold fewer lines than asked). Lines show only the fields of an access-log entry.
 */
import type { IRequest } from "itty-router";
import { containerStub } from "../bindings/stubs";
import type { AccessLogEntry } from "../modules/access-log";
import {
  daysNewestFirst,
  encodeCursor,
  entryFromLine,
  isLogKeyOf,
  lineMatches,
  logDayPrefix,
  parseLogQuery,
  utcHour,
  type LogCursor,
  type LogQuery,
} from "../modules/log-query";
import { errorResponse } from "../shared/errors";
import { UUID_RE } from "../shared/ids";

const MAX_OBJECTS_PER_PAGE = 20;
const LIST_PAGE = 100;
/** A line reaches R2 after it was written, by up to a day while R2 keeps failing: folders that late are read too. */
const FLUSH_LAG_MS = 86_400_000;
const HOUR_RE = /^\d{4}-\d{2}-\d{2}T\d{2}$/;
const MAX_TRAFFIC_HOURS = 24 * 35;

export interface LogPage {
  lines: AccessLogEntry[];
  next_cursor: string | null;
  objects_read: number;
}

/** GET /_edge/admin/containers/{id}/logs?cursor=&limit=&status=&kind=&from=&to= */
export async function getLogs(request: IRequest, env: Env) {
  const id = request.params.id ?? "";
  if (!UUID_RE.test(id)) return errorResponse(404, "not_found");
  const now = Date.now();
  const parsed = parseLogQuery(request.query, now);
  if (!parsed.ok) return errorResponse(400, "invalid_query", { issues: parsed.issues });
  if (parsed.query.cursor && !isLogKeyOf(id, parsed.query.cursor.key)) {
    return errorResponse(400, "invalid_query", { issues: [{ path: "cursor", message: "belongs to another container" }] });
  }
  if (!(await containerStub(env, id).inspect())) return errorResponse(404, "not_found", { message: "no such container" });
  return Response.json(await readLogPage(env.LOGS, id, parsed.query, now), { headers: { "Cache-Control": "no-store" } });
}

export async function readLogPage(bucket: R2Bucket, containerId: string, query: LogQuery, now: number): Promise<LogPage> {
  const lines: AccessLogEntry[] = [];
  let objectsRead = 0;
  /** Reads one object from its newest line on, past `skip`; a cursor when the page is done there. */
  const readObject = async (day: string, key: string, skip: number): Promise<LogCursor | null> => {
    const stored = await bucket.get(key);
    objectsRead++;
    const newestFirst = stored ? (await stored.text()).split("\n").filter(Boolean).reverse() : [];
    for (let i = skip; i < newestFirst.length; i++) {
      const entry = entryFromLine(newestFirst[i]!);
      if (entry && lineMatches(entry, query)) lines.push(entry);
      if (lines.length === query.limit) return { day, key, skip: i + 1 };
    }
    return objectsRead === MAX_OBJECTS_PER_PAGE ? { day, key, skip: newestFirst.length } : null;
  };
  const resume = query.cursor;
  const days = daysNewestFirst(query.fromMs, Math.min(now, query.toMs + FLUSH_LAG_MS));
  for (const day of resume ? days.filter((d) => d <= resume.day) : days) {
    const resumeHere = resume?.day === day ? resume : null;
    if (resumeHere) {
      const stop = await readObject(day, resumeHere.key, resumeHere.skip);
      if (stop) return page(lines, stop, objectsRead);
    }
    let listCursor: string | undefined;
    do {
      const listed = await bucket.list({
        prefix: logDayPrefix(containerId, day),
        limit: LIST_PAGE,
        ...(listCursor ? { cursor: listCursor } : resumeHere ? { startAfter: resumeHere.key } : {}),
      });
      for (const object of listed.objects) {
        const stop = await readObject(day, object.key, 0);
        if (stop) return page(lines, stop, objectsRead);
      }
      listCursor = listed.truncated ? listed.cursor : undefined;
    } while (listCursor);
  }
  return page(lines, null, objectsRead);
}

function page(lines: AccessLogEntry[], cursor: LogCursor | null, objectsRead: number): LogPage {
  return { lines, next_cursor: cursor ? encodeCursor(cursor) : null, objects_read: objectsRead };
}

/** GET /_edge/admin/containers/{id}/traffic?from=YYYY-MM-DDTHH&to=…: requests per UTC hour (default the last 48). */
export async function getTraffic(request: IRequest, env: Env) {
  const id = request.params.id ?? "";
  if (!UUID_RE.test(id)) return errorResponse(404, "not_found");
  const now = Date.now();
  const to = request.query.to ?? utcHour(now);
  const from = request.query.from ?? utcHour(now - 47 * 3_600_000);
  const issues = [];
  if (typeof from !== "string" || !isHour(from)) issues.push({ path: "from", message: "must be a UTC hour such as 2026-12-01T13" });
  if (typeof to !== "string" || !isHour(to)) issues.push({ path: "to", message: "must be a UTC hour such as 2026-12-01T13" });
  if (issues.length > 0) return errorResponse(400, "invalid_query", { issues });
  const span = (Date.parse(`${to}:00:00Z`) - Date.parse(`${from}:00:00Z`)) / 3_600_000;
  if (span < 0 || span >= MAX_TRAFFIC_HOURS) {
    return errorResponse(400, "invalid_query", {
      issues: [{ path: "from", message: `must be at most ${MAX_TRAFFIC_HOURS} hours before to, and not after it` }],
    });
  }
  const hours = await containerStub(env, id).trafficRange(from as string, to as string);
  return hours ? Response.json({ from, to, hours }) : errorResponse(404, "not_found");
}

function isHour(value: string): boolean {
  const time = Date.parse(`${value}:00:00Z`);
  return HOUR_RE.test(value) && !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
}
