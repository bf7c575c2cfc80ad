/**
 * Any other path on a routed host (contract row 6): proxied to the container's origin
 * when sgtm_proxy is on; CORS preflight answered here, never by the origin.
 */
import type { EdgeRequest } from "../pipeline/access";
import { admit } from "../pipeline/admission";
import { forwardToOrigin } from "../pipeline/proxy-to-origin";
import { preflightResponse } from "../modules/cors";
import { publicHostOf, selectSite } from "../modules/site-select";
import { errorResponse } from "../shared/errors";

/** An OPTIONS request to any path of a routed host (the edge's own browser calls are preflighted too). */
export async function preflight(request: EdgeRequest, env: Env, ctx: ExecutionContext) {
  const host = request.parsed.host;
  if (!host) return errorResponse(404, "not_found");
  const admission = await admit(env, ctx, request, `host:${host}`, "preflight", true);
  return preflightResponse(request, admission.prepared.hosts);
}

/** Any path no other route takes: proxied to the container's origin. */
export async function proxy(request: EdgeRequest, env: Env, ctx: ExecutionContext) {
  const { url, host } = request.parsed;
  if (!host) return errorResponse(404, "not_found");
  if (url.pathname.startsWith("/_edge/")) return errorResponse(404, "not_found");
  const admission = await admit(env, ctx, request, `host:${host}`, "proxy");
  const { config, hosts } = admission.prepared;
  const site = selectSite(config, host, request.headers.get("X-Public-Host"));
  const upstreamUrl = config.origin + url.pathname + url.search;
  return forwardToOrigin(request, env, {
    admission,
    site,
    upstreamUrl,
    upstreamQuery: url.searchParams,
    publicHost: publicHostOf(request, hosts, host),
    recovered: false,
  });
}

