/**
 * One access record per request: handlers write what they learned (container, site,
 * flags) into `request.access`; the Worker entry writes the Analytics Engine point and
 * hands the raw line to the container's object for R2, after the response, never blocking it.
 */
import type { IRequest } from "itty-router";
import type { AccessBatch, PreserveReport } from "../bindings/protocol";
import { containerStub } from "../bindings/stubs";
import { analyticsDataPoint, logLine, pathClass, type AccessLogEntry } from "../modules/access-log";
import { TrafficTally } from "../modules/log-query";
import { samePreservedSet } from "../modules/cookie-keeper";
import type { BotVerdict } from "../modules/bot-filter";
import { pathUnderPrefix } from "../modules/same-origin";
import { requestHost } from "../modules/site-select";
import type { EndpointKind } from "../shared/site-endpoints";
import type { SiteView } from "./site-view";

export interface AccessNote {
  containerId?: string;
  configVersion?: number;
  siteId?: string | null;
  host?: string;
  recovered?: boolean;
  paused?: boolean;
  preserve?: PreserveReport;
  /** Site, prefix, proxy and per-site endpoint of a request on a routed host (site-view.ts). */
  view?: SiteView;
  /** The bot filter's verdict, when it ran (power-ups.ts). */
  bot?: BotVerdict;
  /** Refused at the edge by a power-up, before admission: never counted. */
  blocked?: "ip" | "bot";
}

/** The request line as the Worker entry parsed it, once: no later stage parses the URL or host again. */
export interface ParsedRequest {
  url: URL;
  /** The request's host (contract section 3), normalized; null when it is not a hostname. */
  host: string | null;
  /** `request.cf`, read once: each read of it is a fresh copy of the whole object. */
  cf: IncomingRequestCfProperties | undefined;
}

/** A public request with its access note and parsed line, as the Worker entry hands it on. */
export type NotedRequest = Request & { access: AccessNote; parsed: ParsedRequest };

/** A public request as the handlers see it: itty-router's request plus its access note. */
export type EdgeRequest = IRequest & NotedRequest;

/** The request with an empty access note and its line parsed once. */
export function noteRequest(request: Request): NotedRequest {
  const url = new URL(request.url);
  const cf = request.cf as IncomingRequestCfProperties | undefined;
  return Object.assign(request, { access: {}, parsed: { url, host: requestHost(request, url), cf } });
}

export function recordAccess(env: Env, ctx: ExecutionContext, request: NotedRequest, status: number, started: number): void {
  const { access: note, parsed } = request;
  const url = parsed.url;
  const entry: AccessLogEntry = {
    ts: started,
    container_id: note.containerId ?? "",
    site_id: note.siteId ?? null,
    host: note.host ?? url.hostname,
    path_class: pathClassOf(url.pathname, note.view),
    method: request.method,
    status,
    latency_ms: Date.now() - started,
    recovered: note.recovered ?? false,
    paused: note.paused ?? false,
    country: parsed.cf?.country ?? null,
    config_version: note.configVersion ?? 0,
    ...(note.bot ? { bot: note.bot.bot } : {}),
    ...(note.blocked ? { blocked: note.blocked } : {}),
  };
  try {
    env.ACCESS_LOG.writeDataPoint(analyticsDataPoint(entry));
  } catch (error) {
    console.warn(`analytics engine write failed: ${String(error)}`);
  }
  if (note.containerId) handOff(env, ctx, note.containerId, entry, note.preserve);
}

/** A site's own endpoint paths (section 9) and paths under its prefix (section 10) are classed as what they serve. */
const ENDPOINT_PATH_CLASS: Record<EndpointKind, AccessLogEntry["path_class"]> = {
  loader: "loader",
  gtm: "gtm",
  hit: "collect",
  boot: "boot",
  detect: "detection",
};

function pathClassOf(pathname: string, view: SiteView | undefined): AccessLogEntry["path_class"] {
  if (view?.endpoint) return ENDPOINT_PATH_CLASS[view.endpoint.kind];
  return pathClass((view?.prefix && pathUnderPrefix(pathname, view.prefix)) || pathname);
}

/**
 * Reports wait a few milliseconds in isolate memory and go to their object in one call:
 * under load that is one RPC per container per window instead of one per request. The
 * window runs inside `waitUntil`, so a report is as safe here as in a call of its own.
 */
const HAND_OFF_WINDOW_MS = 20;
/** A container's batch while its window is open; `lastByVisitor` finds a visitor's repeated report. */
interface Filling {
  lines: string[];
  traffic: TrafficTally;
  preserve: PreserveReport[];
  lastByVisitor: Map<string, PreserveReport>;
}

/** Batches being filled, by container; each leaves within its window, so the map stays small. */
const pending = new Map<string, Filling>();

function handOff(env: Env, ctx: ExecutionContext, containerId: string, entry: AccessLogEntry, preserve: PreserveReport | undefined): void {
  let filling = pending.get(containerId);
  if (!filling) {
    filling = { lines: [], traffic: new TrafficTally(), preserve: [], lastByVisitor: new Map() };
    pending.set(containerId, filling);
    ctx.waitUntil(sendAfterWindow(env, containerId));
  }
  filling.lines.push(logLine(entry));
  filling.traffic.add(entry);
  if (!preserve) return;
  const visitor = `${preserve.siteId} ${preserve.fpid}`;
  const last = filling.lastByVisitor.get(visitor);
  if (last && samePreservedSet(last, preserve)) return;
  filling.lastByVisitor.set(visitor, preserve);
  filling.preserve.push(preserve);
}

async function sendAfterWindow(env: Env, containerId: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, HAND_OFF_WINDOW_MS));
  const filling = pending.get(containerId);
  pending.delete(containerId);
  if (!filling) return;
  const batch: AccessBatch = { lines: filling.lines, traffic: filling.traffic.list, preserve: filling.preserve };
  // One retry on a fresh stub: a restarting object breaks the first call, not the second.
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await containerStub(env, containerId).afterResponses(batch);
      return;
    } catch (error) {
      console.warn(`access log hand-off of ${batch.lines.length} lines failed (attempt ${attempt}): ${String(error)}`);
    }
  }
}
