/**
 * The loader's calls back to the edge (contract rows 3-4): POST /boot (cookie
 * restoration) and POST /mark-session-detection (adblock/ITP reports).
 */
import type { RouterType } from "itty-router";
import type { ZodType } from "zod";
import { containerStub } from "../bindings/stubs";
import { parseGcs } from "../modules/consent";
import { parseCookieHeader, restoreCookies } from "../modules/cookie-keeper";
import { applyCors } from "../modules/cors";
import { selectSite } from "../modules/site-select";
import type { EdgeRequest } from "../pipeline/access";
import { admit } from "../pipeline/admission";
import { readJsonBody } from "../pipeline/json-body";
import { markSessionSeen, sessionSeen } from "../pipeline/seen-sessions";
import { HttpError, methodNotAllowed } from "../shared/errors";
import { bootSchema, browserDetectionSchema } from "../shared/session-detection";

type Args = [Env, ExecutionContext];

const MAX_BODY_BYTES = 4096;

async function parseBody<T>(request: Request, schema: ZodType<T>): Promise<T> {
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
  const { config, hosts } = admission.prepared;
  const site = selectSite(config, new URL(request.url).hostname, body.host ?? null);
  const requestCookieHeader = request.headers.get("Cookie");
  const fpid = parseCookieHeader(requestCookieHeader).get("FPID");
  const preserved = config.modules.cookie_keeper && fpid ? await containerStub(env, admission.entry.container_id).preservedCookies(fpid) : null;
  const restore = preserved
    ? restoreCookies({
        preserved: preserved.cookies,
        requestCookieHeader,
        consent: body.gcs ? parseGcs(body.gcs) : preserved.consent,
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
