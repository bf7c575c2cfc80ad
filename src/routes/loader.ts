/** GET /l/{loader_token}.js (contract row 2): the loader rendered for the page's site, per config_version. */
import type { RouterType } from "itty-router";
import type { EdgeRequest } from "../pipeline/access";
import { admit } from "../pipeline/admission";
import type { PreparedConfig } from "../pipeline/prepared-config";
import { renderLoader } from "../loader-template/render";
import { selectSite } from "../modules/site-select";
import type { Site } from "../shared/edge-config";
import { errorResponse, methodNotAllowed } from "../shared/errors";

type Args = [Env, ExecutionContext];

const LOADER_FILE_RE = /^([A-Za-z0-9_-]{16,128})\.js$/;
const CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300";

function renderedLoader(prepared: PreparedConfig, site: Site) {
  let rendered = prepared.loaderBySite.get(site.site_id);
  if (!rendered) {
    const etag = `"${prepared.config.config_version}-${site.site_id}"`;
    rendered = { body: renderLoader(prepared.config, site), etag };
    prepared.loaderBySite.set(site.site_id, rendered);
  }
  return rendered;
}

/** The page's host: X-Public-Host, else the Referer's host (a script tag sends no Origin). */
function pageHost(request: Request): string | null {
  const explicit = request.headers.get("X-Public-Host");
  if (explicit) return explicit;
  try {
    return new URL(request.headers.get("Referer") ?? "").host;
  } catch {
    return null;
  }
}

async function serveLoader(request: EdgeRequest, env: Env, ctx: ExecutionContext) {
  const token = LOADER_FILE_RE.exec(request.params.file ?? "")?.[1];
  if (!token) return errorResponse(404, "not_found");
  const admission = await admit(env, ctx, request, `loader:${token}`, "loader");
  const requestHost = new URL(request.url).hostname;
  const site = selectSite(admission.prepared.config, requestHost, pageHost(request));
  const { body, etag } = renderedLoader(admission.prepared, site);
  const headers = {
    "Content-Type": "application/javascript; charset=utf-8",
    "Cache-Control": CACHE_CONTROL,
    ETag: etag,
    Vary: "Referer, X-Public-Host",
    "X-Content-Type-Options": "nosniff",
  };
  if (request.headers.get("If-None-Match") === etag) return new Response(null, { status: 304, headers });
  return new Response(request.method === "HEAD" ? null : body, { headers });
}

export function loaderRoutes(router: RouterType<EdgeRequest, Args>) {
  router.get("/l/:file", serveLoader).head("/l/:file", serveLoader).all("/l/:file", methodNotAllowed(["GET", "HEAD"]));
}
