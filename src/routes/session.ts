/**
 * The loader's calls back to the edge (contract rows 3-4): POST /boot (cookie
 * restoration) and POST /mark-session-detection (adblock/ITP reports).
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
import { markSessionSeen, sessionSeen } from "../pipeline/seen-sessions";
import type { Site } from "../shared/edge-config";
import { HttpError, methodNotAllowed } from "../shared/errors";
import { bootSchema, browserDetectionSchema } from "../shared/session-detection";

type Args = [Env, ExecutionContext];
type BrowserDetection = output<typeof browserDetectionSchema>;

const MAX_BODY_BYTES = 4096;

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
  const admission = await admit(env, ctx, request, `loader:${body.loader_token}`, "boot");
  const site = selectSite(admission.prepared.config, new URL(request.url).hostname, body.host ?? null);
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
  // A repeat of a session this isolate already stored: idempotent, and no object call.
  if (sessionSeen(body.loader_token, body.session_id)) return Response.json({ accepted: true }, { status: 202 });
  const admission = await admit(env, ctx, request, `loader:${body.loader_token}`, "detection");
  const site = selectSite(admission.prepared.config, new URL(request.url).hostname, request.headers.get("X-Public-Host"));
  return detectionResponse(request, env, admission, site, body);
}

/** Stores one session's report for `site` (contract row 4), for the fixed and the per-site path. */
export async function detectionResponse(
  request: EdgeRequest,
  env: Env,
  admission: Admission,
  site: Site,
  body: BrowserDetection,
) {
  await containerStub(env, admission.entry.container_id).recordDetection({ ...body, site_id: site.site_id });
  markSessionSeen(body.loader_token, body.session_id);
  return withCors(Response.json({ accepted: true }, { status: 202 }), request, admission.prepared.hosts);
}

export function sessionRoutes(router: RouterType<EdgeRequest, Args>) {
  router
    .post("/boot", boot)
    .post("/mark-session-detection", markSessionDetection)
    .all("/boot", methodNotAllowed(["POST"]))
    .all("/mark-session-detection", methodNotAllowed(["POST"]));
}
