/**
 * Adblock/ITP detections the edge forwards (POST session-detections), stored
 * in loader_sessions once per session_id: a retried batch stores nothing twice.
 * A detection whose loader token belongs to no live container is skipped and
 * counted, never an error (the edge would only retry it forever).
 */
import { z } from "zod";
import { sessionDetectionSchema } from "../../../src/shared/session-detection.ts";
import type { Sql } from "../_shared/db.ts";

export const MAX_DETECTIONS = 500;

export const detectionsBodySchema = z.strictObject({
  detections: z.array(sessionDetectionSchema).max(MAX_DETECTIONS),
});

export type Detection = z.output<typeof detectionsBodySchema>["detections"][number];

export interface StoredDetections {
  stored: number;
  duplicates: number;
  unknown_loader_token: number;
}

export async function storeDetections(sql: Sql, detections: Detection[], now = new Date()): Promise<StoredDetections> {
  const tokens = [...new Set(detections.map((d) => d.loader_token))];
  const owners = tokens.length === 0 ? [] : await sql<{ id: string; loader_token: string }[]>`
    select id, loader_token from public.sgtm_containers
    where loader_token = any(${tokens}::text[]) and status in ('active', 'paused')`;
  const containerOf = new Map(owners.map((row) => [row.loader_token, row.id]));
  const known = detections.filter((d) => containerOf.has(d.loader_token));
  const unknown = detections.length - known.length;
  if (known.length === 0) return { stored: 0, duplicates: 0, unknown_loader_token: unknown };
  const rows = known.map((d) => ({
    session_id: d.session_id,
    container_id: containerOf.get(d.loader_token)!,
    adblock: d.adblock,
    itp: d.itp,
    detected_at: d.detected_at ?? now.toISOString(),
  }));
  const inserted = await sql`
    insert into public.loader_sessions (session_id, container_id, adblock, itp, detected_at)
    select session_id, container_id, adblock, itp, detected_at
    from jsonb_to_recordset(${sql.json(rows)})
      as d(session_id text, container_id uuid, adblock boolean, itp boolean, detected_at timestamptz)
    on conflict (session_id) do nothing
    returning session_id`;
  return { stored: inserted.length, duplicates: known.length - inserted.length, unknown_loader_token: unknown };
}
