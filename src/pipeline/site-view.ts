/**
 * What a request on a routed host is, before any route runs: which site it is for, the path
 * as if the site's `path_prefix` were not there (section 10), whether the site's own proxy
 * vouches for the visitor's address, and which per-site endpoint the path is (section 9).
 * Uses the isolate's prepared config; only a cold isolate asks the object (uncounted).
 */
import { pathUnderPrefix, proxiedClientIp } from "../modules/same-origin";
import { normalizeHost, selectSite } from "../modules/site-select";
import type { GeoHints } from "../modules/proxy-headers";
import type { Site } from "../shared/edge-config";
import { secretMatches } from "../shared/secrets";
import type { NotedRequest } from "./access";
import { admit } from "./admission";
import { preparedConfig, type PreparedConfig } from "./prepared-config";
import { resolveRoute } from "./route-cache";
import type { SiteEndpoint } from "./site-endpoints";

/** The visitor as the site's reverse proxy reports it; used only when its secret matched. */
export interface ProxiedVisitor {
  secret: "match" | "missing" | "wrong";
  clientIp: string | null;
  geo: GeoHints;
}

export interface SiteView {
  prepared: PreparedConfig;
  site: Site;
  /** The path prefix that was removed, when the request came under the site's path_prefix. */
  prefix: string | null;
  /** Set when the request came through the site's proxy (under its prefix, or with X-Forward-Secret). */
  proxy: ProxiedVisitor | null;
  endpoint: SiteEndpoint | null;
}

/** The request the routes see: the prefix removed from its URL, its site view on `access.view`. */
export async function withSiteView(env: Env, ctx: ExecutionContext, request: NotedRequest): Promise<NotedRequest> {
  const { url, host } = request.parsed;
  if (!host || url.pathname.startsWith("/_edge/")) return request;
  const prepared = await preparedForHost(env, ctx, request, host);
  if (!prepared) return request;
  const site = selectSite(prepared.config, host, sameContainerHost(prepared, request.headers.get("X-Public-Host")));
  const stripped = site.path_prefix ? pathUnderPrefix(url.pathname, site.path_prefix) : null;
  const table = prepared.endpoints ? await prepared.endpoints : null;
  const path = stripped ?? url.pathname;
  const view: SiteView = {
    prepared,
    site,
    prefix: stripped === null ? null : site.path_prefix!,
    proxy: stripped !== null || request.headers.has("X-Forward-Secret") ? proxiedVisitor(request, site) : null,
    endpoint: table?.byPath.get(path) ?? null,
  };
  if (stripped === null) {
    request.access.view = view;
    return request;
  }
  const strippedUrl = new URL(url);
  strippedUrl.pathname = stripped;
  const parsed = { ...request.parsed, url: strippedUrl };
  const rewritten = Object.assign(new Request(strippedUrl, request), { access: request.access, parsed }) as NotedRequest;
  rewritten.access.view = view;
  return rewritten;
}

function sameContainerHost(prepared: PreparedConfig, header: string | null): string | null {
  const host = normalizeHost(header);
  return host && prepared.hosts.has(host) ? host : null;
}

function proxiedVisitor(request: Request, site: Site): ProxiedVisitor {
  const presented = request.headers.get("X-Forward-Secret");
  const secret = presented === null ? "missing" : secretMatches(presented, site.forward_secret) ? "match" : "wrong";
  if (secret !== "match") return { secret, clientIp: null, geo: {} };
  const geo = (name: string) => request.headers.get(name) ?? undefined;
  return {
    secret,
    clientIp: proxiedClientIp(request.headers.get("X-Forwarded-For")),
    geo: { country: geo("X-Geo-Country"), region: geo("X-Geo-Region"), city: geo("X-Geo-City") },
  };
}

/** The isolate's prepared config of the host's container; a cold isolate asks the object once, uncounted. */
async function preparedForHost(
  env: Env,
  ctx: ExecutionContext,
  request: NotedRequest,
  host: string,
): Promise<PreparedConfig | null> {
  const resolved = await resolveRoute(env, ctx, `host:${host}`);
  if (!resolved) return null;
  const held = preparedConfig(resolved.entry.container_id);
  if (held) return held;
  try {
    return (await admit(env, ctx, request, `host:${host}`, "preflight", true)).prepared;
  } catch {
    // Unknown host, module off, no config: the route itself answers with the contract's error.
    return null;
  }
}
