/**
 * A site's own endpoint paths (contract section 9): the loader, the GTM script, recovered
 * hits, cookie restoration and detection reports, each at a path derived from the site's
 * endpoint_key. The site view (pipeline/site-view.ts) found the endpoint; a request that is
 * not one goes on to the fixed routes and the proxy. Same rules as rows 2-5: every
 * refusal is decided before admission, so nothing refused is counted.
 */
import { decodeKeyedRecoveryParam, recoveryUpstreamUrl } from "../modules/recovery-path";
import { publicHostOf } from "../modules/site-select";
import type { EdgeRequest } from "../pipeline/access";
import { admit } from "../pipeline/admission";
import { forwardToOrigin } from "../pipeline/proxy-to-origin";
import type { SiteView } from "../pipeline/site-view";
import type { SiteEndpoint } from "../pipeline/site-endpoints";
import { errorResponse, methodNotAllowed } from "../shared/errors";
import { bootSchema, browserDetectionSchema } from "../shared/session-detection";
import { loaderResponse } from "./loader";
import { bootResponse, detectionResponse, parseBody } from "./session";

/** The path names the site: the body need not carry the loader token. */
const keyedBootSchema = bootSchema.omit({ loader_token: true });
const keyedDetectionSchema = browserDetectionSchema.omit({ loader_token: true });

const METHODS: Record<SiteEndpoint["kind"], string[]> = {
  loader: ["GET", "HEAD"],
  gtm: ["GET", "HEAD"],
  hit: ["GET", "HEAD", "POST"],
  boot: ["POST"],
  detect: ["POST"],
};

/** The site's own endpoint, when the site view found one (or the site check under the prefix); else undefined. */
export async function siteEndpoint(request: EdgeRequest, env: Env, ctx: ExecutionContext) {
  const view = request.access.view;
  if (view?.prefix && request.parsed.url.pathname === SITE_CHECK_PATH) return siteCheck(request, view);
  const endpoint = view?.endpoint;
  if (!view || !endpoint) return undefined;
  if (!METHODS[endpoint.kind].includes(request.method)) return methodNotAllowed(METHODS[endpoint.kind])();
  const key = `host:${request.parsed.host}` as const;
  switch (endpoint.kind) {
    case "loader": {
      const admission = await admit(env, ctx, request, key, "loader");
      return loaderResponse(request, admission.prepared, endpoint.site, false);
    }
    case "gtm":
    case "hit":
      return recover(request, env, ctx, view, endpoint);
    case "boot": {
      const body = await parseBody(request, keyedBootSchema);
      const admission = await admit(env, ctx, request, key, "boot");
      return bootResponse(request, env, admission, endpoint.site, body.gcs);
    }
    case "detect": {
      const body = await parseBody(request, keyedDetectionSchema);
      const admission = await admit(env, ctx, request, key, "detection");
      const loaderToken = admission.prepared.config.loader_token;
      return detectionResponse(request, env, admission, endpoint.site, { ...body, loader_token: loaderToken });
    }
  }
}

async function recover(request: EdgeRequest, env: Env, ctx: ExecutionContext, view: SiteView, endpoint: SiteEndpoint) {
  const { param, codec } = endpoint.endpoints;
  const decoded = decodeKeyedRecoveryParam(request.parsed.url.searchParams.get(param), codec);
  if (!decoded.ok) {
    console.warn(`recovery refused for site ${endpoint.site.site_id}: ${decoded.reason}`);
    return errorResponse(400, "invalid_path");
  }
  // Refused before admission, so nothing refused is counted; built again only if admission brought another version.
  const checked = recoveryUpstreamUrl(view.prepared.config.origin, decoded.path, decoded.query);
  if (!checked) return errorResponse(400, "invalid_path");
  const host = request.parsed.host!;
  const admission = await admit(env, ctx, request, `host:${host}`, "recovery");
  const upstreamUrl =
    admission.prepared === view.prepared ? checked : recoveryUpstreamUrl(admission.prepared.config.origin, decoded.path, decoded.query);
  if (!upstreamUrl) return errorResponse(400, "invalid_path");
  const publicHost = publicHostOf(request, admission.prepared.hosts, host);
  const upstreamQuery = new URLSearchParams(decoded.query);
  return forwardToOrigin(request, env, { admission, site: endpoint.site, upstreamUrl, upstreamQuery, publicHost, recovered: true });
}

/**
 * `{path_prefix}/.well-known/qaxal-check`: what the edge saw of a request through the site's
 * proxy, for `npm run edge -- check-site`. Uncounted, never cached, echoes the caller's nonce.
 */
const SITE_CHECK_PATH = "/.well-known/qaxal-check";

function siteCheck(request: EdgeRequest, view: SiteView) {
  const url = request.parsed.url;
  const proxy = view.proxy;
  return Response.json(
    {
      ok: true,
      host_seen: request.parsed.host,
      public_host: request.headers.get("X-Public-Host"),
      site_id: view.site.site_id,
      prefix_seen: view.prefix,
      secret: proxy?.secret ?? "missing",
      client_ip_from_proxy: proxy?.secret === "match" && proxy.clientIp !== null,
      forwarded_for: proxy?.secret === "match" ? proxy.clientIp : null,
      cookie_seen: request.headers.has("Cookie"),
      nonce: (url.searchParams.get("nonce") ?? "").slice(0, 64),
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

