/**
 * One access record per request: handlers note what they learned (container, site,
 * flags) on the request; the Worker entry writes the Analytics Engine point and hands
 * the raw line to the container's object for R2, after the response, never blocking it.
 */
import { analyticsDataPoint, pathClass, type AccessLogEntry } from "../modules/access-log";
import type { PreservedCookies } from "../objects/protocol";
import { containerStub } from "./admission";

export type PreserveReport = { fpid: string } & PreservedCookies;

export interface AccessNote {
  containerId?: string;
  configVersion?: number;
  siteId?: string | null;
  host?: string;
  recovered?: boolean;
  paused?: boolean;
  preserve?: PreserveReport;
}

const notes = new WeakMap<Request, AccessNote>();

export function noteAccess(request: Request, note: AccessNote): void {
  notes.set(request, { ...notes.get(request), ...note });
}

export function recordAccess(env: Env, ctx: ExecutionContext, request: Request, status: number, started: number): void {
  const note = notes.get(request) ?? {};
  const url = new URL(request.url);
  const entry: AccessLogEntry = {
    ts: started,
    container_id: note.containerId ?? "",
    site_id: note.siteId ?? null,
    host: note.host ?? url.hostname,
    path_class: pathClass(url.pathname),
    method: request.method,
    status,
    latency_ms: Date.now() - started,
    recovered: note.recovered ?? false,
    paused: note.paused ?? false,
    country: (request.cf?.country as string | undefined) ?? null,
    config_version: note.configVersion ?? 0,
  };
  try {
    env.ACCESS_LOG.writeDataPoint(analyticsDataPoint(entry));
  } catch (error) {
    console.warn(`analytics engine write failed: ${String(error)}`);
  }
  if (!note.containerId) return;
  const report = { logLine: JSON.stringify(entry), preserve: note.preserve };
  ctx.waitUntil(
    containerStub(env, note.containerId)
      .afterResponse(report)
      .catch((error: unknown) => console.warn(`access log hand-off failed: ${String(error)}`)),
  );
}
