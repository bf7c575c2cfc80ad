/**
 * The site routes of sgtm-containers: POST {id}/rotate-endpoints (owner/admin user JWT, or
 * the service role key) and POST {id}/same-origin (owner/admin user JWT).
 */
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { syncContainer } from "../_shared/edge-sync.ts";
import { isServiceRoleCaller, readJsonBody } from "../_shared/http.ts";
import { requireUser } from "./auth.ts";
import { rotateBodySchema, rotateEndpoints } from "./rotate.ts";
import { sameOriginBodySchema, setSameOrigin } from "./same-origin.ts";
import type { SiteChangeDeps } from "./site-change.ts";

export type SiteRoute = "rotate-endpoints" | "same-origin";

export async function siteRoute(request: Request, sql: Sql, edge: () => EdgeAdmin, route: SiteRoute, containerId: string) {
  const deps: SiteChangeDeps = { sql, sync: (id) => syncContainer(sql, edge(), id) };
  if (route === "rotate-endpoints") {
    const caller = isServiceRoleCaller(request) ? null : await requireUser(request);
    return rotateEndpoints(deps, caller, containerId, await readJsonBody(request, rotateBodySchema));
  }
  const userId = await requireUser(request);
  return setSameOrigin(deps, userId, containerId, await readJsonBody(request, sameOriginBodySchema));
}
