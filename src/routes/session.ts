/**
 * The loader's calls back to the edge (contract rows 3-4): POST /boot (cookie
 * restoration) and POST /mark-session-detection (adblock/ITP reports). The loader token
 * works only on its own container's hosts (section 8, checked in admission).
 */
import type { RouterType } from "itty-router";
import type { output, ZodType } from "zod";
import { containerStub } from "../bindings/stubs";
import { parseGcs, strictestConsent } from "../modules/consent";
import { parseCookieHeader, restoreCookies } from "../modules/cookie-keeper";
import { applyCors } from "../modules/cors";
import { selectSite } from "../modules/site-select";
import type { EdgeRequest } from "../pipeline/access";
import { admit, type Admission } from "../pipeline/admission";
import { readJsonBody } from "../pipeline/json-body";
import { markSessionStored, repeatOfStoredSession } from "../pipeline/seen-sessions";
import type { Site } from "../shared/edge-config";
import { errorResponse, HttpError, methodNotAllowed } from "../shared/errors";
import { bootSchema, browserDetectionSchema } from "../shared/session-detection";

type Args = [Env, ExecutionContext];
type BrowserDetection = output<typeof browserDetectionSchema>;

const MAX_BODY_BYTES = 4096;
const NOT_FOUND = new HttpError(404, { error: "not_found" });

export async function parseBody<T>(request: Request, schema: ZodType<T>): Promise<T> {
  const result = schema.safeParse(await readJsonBody(request, MAX_BODY_BYTES, "invalid_body"));
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: issue.path.join(".") || "(root)", message: issue.message }));
    throw new HttpError(400, { error: "invalid_body", issues });
  }
  return result.data;
}

function withCors(response: Response, request: Request, hosts: ReadonlySet<string>): Response {
  applyCors(response.headers, request.headers.get("Origin"), hosts);
  return response;
}

async function boot(request: EdgeRequest, env: Env, ctx: ExecutionContext) {
  const body = await parseBody(request, bootSchema);
  const host = request.parsed.host;
  if (!host) throw NOT_FOUND;
  const admission = await admit(env, ctx, request, `loader:${body.loader_token}`, "boot");
  const site = selectSite(admission.prepared.config, host, body.host ?? null);
  return bootResponse(request, env, admission, site, body.gcs);
}

/** The cookies to restore for the visitor of `site` (contract row 3), for the fixed and the per-site path. */
export async function bootResponse(request: EdgeRequest, env: Env, admission: Admission, site: Site, gcs: string | undefined) {
  const { config, hosts } = admission.prepared;
  const requestCookieHeader = request.headers.get("Cookie");
  const fpid = parseCookieHeader(requestCookieHeader).get("FPID");
  const preserved =
    config.modules.cookie_keeper && fpid
      ? await containerStub(env, admission.entry.container_id).preservedCookies(site.site_id, fpid)
      : null;
  const restore = preserved
    ? restoreCookies({
        preserved: preserved.cookies,
        requestCookieHeader,
        // The page's gcs may deny more than the latest hit did, never grant what it denied (section 8).
        consent: strictestConsent(preserved.consent, parseGcs(gcs ?? null)),
        site,
        config: config.cookie_keeper,
      })
    : [];
  const response = Response.json(
    { restoreCookies: restore, config_version: config.config_version, site_id: site.site_id },
    { headers: { "Cache-Control": "no-store" } },
  );
  return withCors(response, request, hosts);
}

async function markSessionDetection(request: EdgeRequest, env: Env, ctx: ExecutionContext) {
  const body = await parseBody(request, browserDetectionSchema);
  const host = request.parsed.host;
  if (!host) throw NOT_FOUND;
  // A repeat of a session this isolate already stored: idempotent, and no object call.
  const known = repeatOfStoredSession(body.loader_token, body.session_id, host);
  if (known) return withCors(Response.json({ accepted: true }, { status: 202 }), request, known.hosts);
  const admission = await admit(env, ctx, request, `loader:${body.loader_token}`, "detection");
  const site = selectSite(admission.prepared.config, host, request.headers.get("X-Public-Host"));
  return detectionResponse(request, env, admission, site, body);
}

/**
 * Stores one session's report for `site` (contract row 4), for the fixed and the per-site
 * path: 404 with adblock_itp_detection off, 429 past the container's rate of new sessions.
 */
export async function detectionResponse(
  request: EdgeRequest,
  env: Env,
  admission: Admission,
  site: Site,
  body: BrowserDetection,
) {
  const { config, hosts } = admission.prepared;
  if (!config.modules.adblock_itp_detection) throw NOT_FOUND;
  const containerId = admission.entry.container_id;
  const outcome = await containerStub(env, containerId).recordDetection({ ...body, site_id: site.site_id });
  if (outcome === "rate_limited") return withCors(errorResponse(429, "rate_limited"), request, hosts);
  markSessionStored(body.loader_token, body.session_id, containerId);
  return withCors(Response.json({ accepted: true }, { status: 202 }), request, hosts);
}

export function sessionRoutes(router: RouterType<EdgeRequest, Args>) {
  router
    .post("/boot", boot)
    .post("/mark-session-detection", markSessionDetection)
    .all("/boot", methodNotAllowed(["POST"]))
    .all("/mark-session-detection", methodNotAllowed(["POST"]));
}
