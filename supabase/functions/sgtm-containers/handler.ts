/**
 * sgtm-containers (Bearer user JWT):
 *   POST /sgtm-containers               create, provision and publish a container
 *   POST /sgtm-containers/{id}/verify   compare with the edge, repair, report
 *   POST /sgtm-containers/{id}/rotate-endpoints  new endpoint keys for its sites, or finish (site-routes.ts)
 *   POST /sgtm-containers/{id}/same-origin       a site's path_prefix (site-routes.ts)
 *   POST /sgtm-containers/{id}/plan     change the plan; the new limit is at the edge before the 200
 *   POST /sgtm-containers/{id}/power-ups  switch power-ups the plan includes (power-ups.ts)
 *   DELETE /sgtm-containers/{id}        delete it at the edge, provider and provisioner; keep the row as `deleted`
 */
import { HttpError } from "../../../src/shared/errors.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { type EdgeActivation, edgeActivationFromEnv } from "../_shared/edge-activation.ts";
import { syncContainer } from "../_shared/edge-sync.ts";
import { json, readJsonBody, requireMethod } from "../_shared/http.ts";
import { requireUser } from "./auth.ts";
import { createContainerBodySchema } from "./body.ts";
import { createContainer } from "./create.ts";
import { deleteContainer } from "./delete.ts";
import { changePlan, planBodySchema } from "./plan.ts";
import { powerUpsBodySchema, setPowerUps } from "./power-ups.ts";
import type { Provisioner } from "./provisioner.ts";
import { siteRoute } from "./site-routes.ts";
import { verifyContainer } from "./verify.ts";

/** The path after the function name, wherever the gateway mounted it. */
const ROUTE = /\/sgtm-containers(?:\/([^/]+)(?:\/(verify|plan|rotate-endpoints|same-origin|power-ups))?)?\/?$/;

export interface ContainersEnv {
  provisioner: Provisioner;
  edgeZone: string;
  planId: string;
}

export async function sgtmContainers(
  request: Request,
  sql: Sql,
  edge: () => EdgeAdmin,
  env: () => ContainersEnv,
  activation: () => EdgeActivation = edgeActivationFromEnv,
): Promise<Response> {
  const route = ROUTE.exec(new URL(request.url).pathname);
  if (!route) throw new HttpError(404, { error: "not_found", message: "unknown path" });
  requireMethod(request, ...(route[1] && !route[2] ? ["DELETE"] : ["POST"]));
  if (route[2] === "rotate-endpoints" || route[2] === "same-origin") {
    return json(await siteRoute(request, sql, edge, route[2], decodeURIComponent(route[1]!)));
  }
  const userId = await requireUser(request);
  const sync = async (containerId: string) => {
    const outcome = await syncContainer(sql, edge(), containerId);
    if (outcome.kind !== "synced") console.error(`sgtm-containers: sync of ${containerId}: ${JSON.stringify(outcome)}`);
    return outcome;
  };
  if (route[1] && !route[2]) {
    const deps = { sql, edge: edge(), activation, provisioner: env().provisioner };
    return json(await deleteContainer(deps, userId, decodeURIComponent(route[1])));
  }
  if (route[2] === "plan") {
    const { plan_id } = await readJsonBody(request, planBodySchema);
    return json(await changePlan({ sql, edge: edge(), sync }, userId, decodeURIComponent(route[1]!), plan_id));
  }
  if (route[2] === "power-ups") {
    const body = await readJsonBody(request, powerUpsBodySchema);
    return json(await setPowerUps({ sql, sync }, userId, decodeURIComponent(route[1]!), body));
  }
  if (route[2] === "verify") {
    return json(await verifyContainer({ sql, edge: edge(), sync }, userId, decodeURIComponent(route[1]!)));
  }
  const settings = env();
  const body = await readJsonBody(request, createContainerBodySchema(settings.edgeZone));
  const created = await createContainer({ sql, sync, ...settings }, userId, body, request.headers.get("idempotency-key"));
  return json(created.body, created.status);
}

/**
 * INFRA_PROVISIONER_URL and INFRA_PROVISIONER_TOKEN (required), EDGE_HOSTNAME_ZONE (default
 * trqaxal.com), DEFAULT_PLAN_ID (default free).
 */
export function containersEnvFromEnv(): ContainersEnv {
  const url = Deno.env.get("INFRA_PROVISIONER_URL");
  const token = Deno.env.get("INFRA_PROVISIONER_TOKEN");
  if (!url || !token) throw new Error("INFRA_PROVISIONER_URL and INFRA_PROVISIONER_TOKEN must be set");
  return {
    provisioner: { url, token },
    edgeZone: Deno.env.get("EDGE_HOSTNAME_ZONE") ?? "trqaxal.com",
    planId: Deno.env.get("DEFAULT_PLAN_ID") ?? "free",
  };
}
