/**
 * POST sync-edge-config {"container_id"} (service role or X-Edge-Auth): build
 * the container's EdgeConfig and push it to the edge; 200 only once the edge
 * confirmed that config_version, else 502 and nothing marked synced.
 */
import { z } from "zod";
import { HttpError } from "../../../src/shared/errors.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { syncContainer } from "../_shared/edge-sync.ts";
import { isEdgeCaller, isServiceRoleCaller, json, readJsonBody, requireMethod, unauthorized } from "../_shared/http.ts";

const bodySchema = z.strictObject({ container_id: z.guid() });

export async function syncEdgeConfig(request: Request, sql: Sql, edge: () => EdgeAdmin): Promise<Response> {
  requireMethod(request, "POST");
  if (!isServiceRoleCaller(request) && !isEdgeCaller(request)) throw unauthorized();
  const { container_id } = await readJsonBody(request, bodySchema);
  const outcome = await syncContainer(sql, edge(), container_id);
  switch (outcome.kind) {
    case "synced":
      return json({ container_id, config_version: outcome.config_version, applied: outcome.applied });
    case "not_found":
      throw new HttpError(404, { error: "not_found", message: "no such container" });
    case "config_incomplete":
      throw new HttpError(409, {
        error: "config_incomplete",
        message: "the container cannot be configured yet",
        issues: outcome.issues,
      });
    case "edge_unavailable":
      throw new HttpError(502, { error: "edge_unavailable", message: outcome.message, edge: outcome.edge });
    case "edge_rejected":
      throw new HttpError(502, { error: "edge_rejected", message: `edge answered ${outcome.status}`, edge: outcome.edge });
  }
}
