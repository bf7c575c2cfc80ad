/**
 * GET|POST /k/{container_token}?p=base64url(path+query) (contract row 5, section 5):
 * tracking-prevention recovery. The decoded path must be on the allowlist and the
 * upstream URL on the container's origin; otherwise 400 and nothing is fetched. The token
 * works only on its own container's hosts (section 8). Every refusal comes before the
 * admission, so nothing refused is counted.
 */
import type { RouterType } from "itty-router";
import type { EdgeRequest } from "../pipeline/access";
import { admit } from "../pipeline/admission";
import { forwardToOrigin } from "../pipeline/proxy-to-origin";
import { decodeRecoveryParam, recoveryUpstreamUrl } from "../modules/recovery-path";
import { publicHostOf } from "../modules/site-select";
import { errorResponse, methodNotAllowed } from "../shared/errors";

type Args = [Env, ExecutionContext];

const TOKEN_RE = /^[A-Za-z0-9_-]{16,128}$/;

async function recover(request: EdgeRequest, env: Env, ctx: ExecutionContext) {
  const token = request.params.token ?? "";
  const { url, host } = request.parsed;
  if (!TOKEN_RE.test(token) || !host) return errorResponse(404, "not_found");
  const decoded = decodeRecoveryParam(url.searchParams.get("p"));
  if (!decoded.ok) {
    console.warn(`recovery refused for ${token.slice(0, 6)}…: ${decoded.reason}`);
    return errorResponse(400, "invalid_path");
  }
  const admission = await admit(env, ctx, request, `site:${token}`, "recovery");
  const { config, siteByToken } = admission.prepared;
  const site = siteByToken.get(token);
  // Assertions: the object confirmed the token in this version, and whatever the decoder
  // accepts builds on any valid origin (recovery-path.ts, property-tested).
  const upstreamUrl = recoveryUpstreamUrl(config.origin, decoded.path, decoded.query);
  if (!site) return errorResponse(404, "not_found");
  if (!upstreamUrl) return errorResponse(400, "invalid_path");
  const publicHost = publicHostOf(request, admission.prepared.hosts, host);
  const upstreamQuery = new URLSearchParams(decoded.query);
  return forwardToOrigin(request, env, { admission, site, upstreamUrl, upstreamQuery, publicHost, recovered: true });
}

export function recoveryRoutes(router: RouterType<EdgeRequest, Args>) {
  router
    .get("/k/:token", recover)
    .post("/k/:token", recover)
    .head("/k/:token", recover)
    .all("/k/:token", methodNotAllowed(["GET", "HEAD", "POST"]));
}
