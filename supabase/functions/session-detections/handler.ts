/**
 * POST session-detections (X-Edge-Auth) {"detections":[…]}: 202 {"stored":n,…},
 * idempotent per session_id (see sessions.ts).
 */
import type { Sql } from "../_shared/db.ts";
import { isEdgeCaller, json, readJsonBody, requireMethod, unauthorized } from "../_shared/http.ts";
import { detectionsBodySchema, storeDetections } from "./sessions.ts";

export async function sessionDetections(request: Request, sql: Sql): Promise<Response> {
  requireMethod(request, "POST");
  if (!isEdgeCaller(request)) throw unauthorized();
  const { detections } = await readJsonBody(request, detectionsBodySchema);
  return json(await storeDetections(sql, detections), 202);
}
