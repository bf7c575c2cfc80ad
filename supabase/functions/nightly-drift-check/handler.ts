/**
 * POST nightly-drift-check (service role): finish endpoint rotations past their grace
 * period (rotations.ts), compare every live container's config_version with the edge and
 * re-sync the drifted ones (which pushes those rotations); then release what crashed
 * container creations left behind (see housekeeping.ts).
 */
import type { Sql } from "../_shared/db.ts";
import { checkDrift } from "./drift-check.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { houseKeep } from "./housekeeping.ts";
import { finishStaleRotations } from "./rotations.ts";
import { isServiceRoleCaller, json, requireMethod, unauthorized } from "../_shared/http.ts";

export async function nightlyDriftCheck(request: Request, sql: Sql, edge: () => EdgeAdmin): Promise<Response> {
  requireMethod(request, "POST");
  if (!isServiceRoleCaller(request)) throw unauthorized();
  const finishedRotations = await finishStaleRotations(sql);
  const drift = await checkDrift(sql, edge());
  return json({ ...drift, finished_rotations: finishedRotations, ...(await houseKeep(sql)) });
}
