/**
 * Endpoint rotations (sgtm-containers/{id}/rotate-endpoints) left running are finished
 * after ROTATION_GRACE_DAYS: pages have had that long to take the new snippet. Dropping
 * previous_endpoint_key bumps the container's config_version, so the drift check that
 * runs next pushes it.
 */
import type { Sql } from "../_shared/db.ts";

export const ROTATION_GRACE_DAYS = 7;

/** Returns the ids of the sites whose rotation it finished. */
export async function finishStaleRotations(sql: Sql): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    update public.sites set previous_endpoint_key = null, endpoint_rotated_at = null
    where endpoint_rotated_at < now() - make_interval(days => ${ROTATION_GRACE_DAYS})
    returning id`;
  return rows.map((row) => row.id).sort();
}
