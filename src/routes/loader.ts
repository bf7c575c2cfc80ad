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

/** One body per site and config version: the site's own paths when it has an endpoint_key (section 9). */
async function renderedLoader(prepared: PreparedConfig, site: Site) {
  let rendered = prepared.loaderBySite.get(site.site_id);
  if (!rendered) {
    const endpoints = (await prepared.endpoints)?.bySite.get(site.site_id) ?? null;
    const etag = `"${prepared.config.config_version}-${site.site_id}"`;
    rendered = { body: renderLoader(prepared.config, site, endpoints), etag };
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
  const host = request.parsed.host;
  if (!token || !host) return errorResponse(404, "not_found");
  const admission = await admit(env, ctx, request, `loader:${token}`, "loader");
  const site = selectSite(admission.prepared.config, host, pageHost(request));
  // Only a container with several sites picks the loader by the page: one site's is one file, cacheable as such.
  return loaderResponse(request, admission.prepared, site, admission.prepared.config.sites.length > 1);
}

/** The site's loader script, for the fixed path and for the site's own path (which never varies). */
export async function loaderResponse(request: Request, prepared: PreparedConfig, site: Site, variesByPage: boolean) {
  const { body, etag } = await renderedLoader(prepared, site);
  const headers: Record<string, string> = {
    "Content-Type": "application/javascript; charset=utf-8",
    "Cache-Control": CACHE_CONTROL,
    ETag: etag,
    "X-Content-Type-Options": "nosniff",
  };
  if (variesByPage) headers.Vary = "Referer, X-Public-Host";
  if (request.headers.get("If-None-Match") === etag) return new Response(null, { status: 304, headers });
  return new Response(request.method === "HEAD" ? null : body, { headers });
}

export function loaderRoutes(router: RouterType<EdgeRequest, Args>) {
  router.get("/l/:file", serveLoader).head("/l/:file", serveLoader).all("/l/:file", methodNotAllowed(["GET", "HEAD"]));
}
