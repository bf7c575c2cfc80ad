/**
 * GET container-config?container_id=… (X-Edge-Auth): the container's EdgeConfig,
 * exactly what sync-edge-config pushes (the edge's fallback when KV and the
 * object both miss).
 */
import { z } from "zod";
import { HttpError } from "../../../src/shared/errors.ts";
import type { Sql } from "../_shared/db.ts";
import { loadEdgeConfig } from "../_shared/edge-config-builder.ts";
import { isEdgeCaller, json, requireMethod, unauthorized } from "../_shared/http.ts";

const containerIdSchema = z.guid();

export async function containerConfig(request: Request, sql: Sql): Promise<Response> {
  requireMethod(request, "GET");
  if (!isEdgeCaller(request)) throw unauthorized();
  const containerId = new URL(request.url).searchParams.get("container_id");
  if (!containerIdSchema.safeParse(containerId).success) {
    throw new HttpError(400, { error: "invalid_query", message: "container_id must be a uuid" });
  }
  const built = await loadEdgeConfig(sql, containerId!);
  if (built.ok) return json(built.config, 200, { "cache-control": "no-store" });
  if (built.error === "not_found") throw new HttpError(404, { error: "not_found", message: "no such container" });
  throw new HttpError(409, {
    error: "config_incomplete",
    message: "the container cannot be configured yet",
    issues: built.issues,
  });
}
