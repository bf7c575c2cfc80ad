/** Admin API (contract section 2): control plane and operators. Bearer EDGE_ADMIN_TOKEN on every call. */
import { Router, type IRequest, type RouterType } from "itty-router";
import { lookupRoute, routedContainers } from "../bindings/routes-index";
import { containerStub } from "../bindings/stubs";
import { endLease } from "../pipeline/leases";
import { readJsonBody } from "../pipeline/json-body";
import { forgetPreparedConfig } from "../pipeline/prepared-config";
import { forgetRoutes } from "../pipeline/route-cache";
import { PROXY_KINDS, isProxyKind, proxyConfig } from "../modules/proxy-config";
import { parseEdgeConfig } from "../shared/edge-config";
import { errorResponse, HttpError, methodNotAllowed } from "../shared/errors";
import { parseRouteKey, routeEntries } from "../shared/routing-keys";
import { UUID_RE } from "../shared/ids";
import { deriveSiteEndpoints } from "../shared/site-endpoints";
import { bearerToken, secretMatches } from "../shared/secrets";
import { getLogs, getTraffic } from "./admin-logs";

type Args = [Env, ExecutionContext];

const MAX_CONFIG_BYTES = 256 * 1024;
const MAX_USAGE_DAYS = 400;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const NOT_FOUND = () => errorResponse(404, "not_found");

/** The container named in the URL; an id that cannot exist is a 404 without touching an object. */
function container(request: IRequest, env: Env) {
  const id = request.params.id ?? "";
  if (!UUID_RE.test(id)) throw new HttpError(404, { error: "not_found" });
  return containerStub(env, id);
}

function requireAdmin(request: IRequest, env: Env) {
  if (!secretMatches(bearerToken(request), env.EDGE_ADMIN_TOKEN)) return errorResponse(401, "unauthorized");
}

/** A change made through this isolate ends its lease on the container and what it knew of it, at once (leases.ts). */
function endLocalLease(ctx: ExecutionContext, containerId: string): void {
  ctx.waitUntil(endLease(containerId));
}

async function putConfig(request: IRequest, env: Env, ctx: ExecutionContext) {
  const parsed = parseEdgeConfig(await readJsonBody(request, MAX_CONFIG_BYTES, "invalid_config"));
  if (!parsed.ok) return errorResponse(400, "invalid_config", { issues: parsed.issues });
  const config = parsed.config;
  if (config.container_id !== request.params.id) {
    return errorResponse(400, "invalid_config", {
      issues: [{ path: "container_id", message: "does not match the container id in the URL" }],
    });
  }
  const result = await container(request, env).applyConfig(config);
  switch (result.status) {
    case "applied":
      forgetPreparedConfig(config.container_id);
      endLocalLease(ctx, config.container_id);
      forgetRoutes(routeEntries(config).map((entry) => entry.key));
      return Response.json({ applied: true, config_version: result.config_version });
    case "unchanged":
      return Response.json({ applied: false, config_version: result.config_version });
    case "stale_version":
      return errorResponse(409, "stale_version", { current_version: result.current_version });
    case "route_conflict":
      return errorResponse(409, "route_conflict", { key: result.key });
  }
}

/** Usage read through this isolate includes its own lease slots given back first (leases.ts). */
async function getContainer(request: IRequest, env: Env) {
  const stub = container(request, env);
  await endLease(request.params.id ?? "");
  const inspection = await stub.inspect();
  if (!inspection) return NOT_FOUND();
  // Section 9: each site's loader path, for `<script src="https://{a host of the site}{path}">`.
  const sites = await Promise.all(
    inspection.config.sites.map(async (site) => ({
      site_id: site.site_id,
      endpoints: { loader: site.endpoint_key ? (await deriveSiteEndpoints(site.endpoint_key)).loader : `/l/${inspection.config.loader_token}.js` },
    })),
  );
  return Response.json({ ...inspection, sites });
}

async function getUsage(request: IRequest, env: Env) {
  const today = new Date().toISOString().slice(0, 10);
  const from = request.query.from ?? `${today.slice(0, 7)}-01`;
  const to = request.query.to ?? today;
  if (typeof from !== "string" || typeof to !== "string" || !isDay(from) || !isDay(to) || from > to) {
    return errorResponse(400, "invalid_body", { message: "from and to must be YYYY-MM-DD days with from <= to" });
  }
  if (Date.parse(to) - Date.parse(from) > MAX_USAGE_DAYS * 86_400_000) {
    return errorResponse(400, "invalid_body", { message: `at most ${MAX_USAGE_DAYS} days per call` });
  }
  const stub = container(request, env);
  await endLease(request.params.id ?? "");
  const days = await stub.usageRange(from, to);
  return days ? Response.json({ days }) : NOT_FOUND();
}

async function pause(request: IRequest, env: Env, ctx: ExecutionContext) {
  const body = await readJsonBody(request, 4096, "invalid_body");
  const reason = (body as { reason?: unknown } | null)?.reason;
  if (typeof reason !== "string" || !/^[\x20-\x7e]{1,200}$/.test(reason)) {
    return errorResponse(400, "invalid_body", {
      issues: [{ path: "reason", message: "must be 1-200 printable ASCII characters" }],
    });
  }
  const paused = await container(request, env).pause(reason);
  endLocalLease(ctx, request.params.id ?? "");
  return paused ? Response.json({ paused }) : NOT_FOUND();
}

async function resume(request: IRequest, env: Env, ctx: ExecutionContext) {
  const resumed = await container(request, env).resume();
  endLocalLease(ctx, request.params.id ?? "");
  return resumed ? Response.json({ paused: null }) : NOT_FOUND();
}

async function remove(request: IRequest, env: Env, ctx: ExecutionContext) {
  const deleted = await container(request, env).deleteContainer();
  forgetPreparedConfig(request.params.id ?? "");
  endLocalLease(ctx, request.params.id ?? "");
  return deleted ? Response.json({ deleted: true }) : NOT_FOUND();
}

async function getRoute(request: IRequest, env: Env) {
  const key = parseRouteKey(decodeURIComponent(request.params.key ?? ""));
  const entry = key ? await lookupRoute(env, key) : null;
  return entry ? Response.json(entry) : NOT_FOUND();
}

/** Section 10: the site's reverse-proxy config; `host` (optional, one of the site's hosts) defaults to its primary host. */
async function getProxyConfig(request: IRequest, env: Env) {
  const { site_id: siteId, kind, host } = request.query;
  const issues = [];
  if (typeof siteId !== "string" || !UUID_RE.test(siteId)) issues.push({ path: "site_id", message: "must be a site uuid" });
  if (!isProxyKind(kind)) issues.push({ path: "kind", message: `must be one of ${PROXY_KINDS.join(", ")}` });
  if (host !== undefined && typeof host !== "string") issues.push({ path: "host", message: "must be given once" });
  if (issues.length > 0) return errorResponse(400, "invalid_query", { issues });
  const inspection = await container(request, env).inspect();
  const site = inspection?.config.sites.find((candidate) => candidate.site_id === siteId);
  if (!inspection) return errorResponse(404, "not_found", { message: "no such container" });
  if (!site) return errorResponse(404, "not_found", { message: `no site ${siteId} in this container` });
  const siteHost = (host as string | undefined) ?? site.primary_host;
  if (!site.path_prefix || !site.forward_secret) {
    return errorResponse(400, "invalid_query", {
      issues: [{ path: "site_id", message: "this site has no path_prefix: same-origin mode is off for it" }],
    });
  }
  if (siteHost !== site.primary_host && !site.tracked_domains.includes(siteHost)) {
    return errorResponse(400, "invalid_query", { issues: [{ path: "host", message: "must be the primary host or a tracked domain of the site" }] });
  }
  const text = proxyConfig(kind as string, {
    siteHost,
    pathPrefix: site.path_prefix,
    edgeHostname: inspection.config.edge_hostname,
    forwardSecret: site.forward_secret,
  });
  // It carries the forward secret: no cache keeps a copy.
  return new Response(text, { headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}

async function listContainers(_request: IRequest, env: Env) {
  return Response.json({ containers: await routedContainers(env) });
}

function isDay(value: string): boolean {
  const time = Date.parse(`${value}T00:00:00Z`);
  return DAY_RE.test(value) && !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
}

/**
 * Its own router, mounted under one pattern: a public request, which never starts with
 * /_edge/admin/, is tested against that one pattern instead of each admin route's.
 */
const admin = Router<IRequest, Args>()
  .all("/_edge/admin/*", requireAdmin)
  .get("/_edge/admin/containers", listContainers)
  .put("/_edge/admin/containers/:id/config", putConfig)
  .get("/_edge/admin/containers/:id", getContainer)
  .get("/_edge/admin/containers/:id/usage", getUsage)
  .get("/_edge/admin/containers/:id/proxy-config", getProxyConfig)
  .get("/_edge/admin/containers/:id/logs", getLogs)
  .get("/_edge/admin/containers/:id/traffic", getTraffic)
  .post("/_edge/admin/containers/:id/pause", pause)
  .post("/_edge/admin/containers/:id/resume", resume)
  .delete("/_edge/admin/containers/:id", remove)
  .get("/_edge/admin/routes/:key", getRoute)
  .all("/_edge/admin/containers", methodNotAllowed(["GET"]))
  .all("/_edge/admin/containers/:id/config", methodNotAllowed(["PUT"]))
  .all("/_edge/admin/containers/:id", methodNotAllowed(["GET", "DELETE"]))
  .all("/_edge/admin/containers/:id/usage", methodNotAllowed(["GET"]))
  .all("/_edge/admin/containers/:id/proxy-config", methodNotAllowed(["GET"]))
  .all("/_edge/admin/containers/:id/logs", methodNotAllowed(["GET"]))
  .all("/_edge/admin/containers/:id/traffic", methodNotAllowed(["GET"]))
  .all("/_edge/admin/containers/:id/pause", methodNotAllowed(["POST"]))
  .all("/_edge/admin/containers/:id/resume", methodNotAllowed(["POST"]))
  .all("/_edge/admin/routes/:key", methodNotAllowed(["GET"]))
  .all("/_edge/admin/*", NOT_FOUND);

export function adminRoutes(router: RouterType<IRequest, Args>) {
  router.all("/_edge/admin/*", admin.fetch);
}
