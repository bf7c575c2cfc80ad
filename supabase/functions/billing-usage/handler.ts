/**
 * POST billing-usage (service role): one billing pass over every active or
 * paused container (see _shared/billing.ts).
 */
import { runBilling } from "./billing.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { syncContainer } from "../_shared/edge-sync.ts";
import { isServiceRoleCaller, json, requireMethod, unauthorized } from "../_shared/http.ts";

export async function billingUsage(request: Request, sql: Sql, edgeAdmin: () => EdgeAdmin): Promise<Response> {
  requireMethod(request, "POST");
  if (!isServiceRoleCaller(request)) throw unauthorized();
  const edge = edgeAdmin();
  return json(await runBilling({ sql, edge, sync: (containerId) => syncContainer(sql, edge, containerId) }));
}
