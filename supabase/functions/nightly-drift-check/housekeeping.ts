/**
 * Nightly housekeeping of what a crash can leave behind in sgtm-containers:
 * a container stuck in `provisioning` (the function died between reserving and
 * activating) holds ports and domains forever, and its Idempotency-Key row,
 * never completed, answers 409 in_progress to every retry. Both are released.
 * Completed idempotency keys are kept for a day, then forgotten.
 */
import type { Sql } from "../_shared/db.ts";
import { failContainer } from "../_shared/fail-container.ts";

/** Longer than any provisioning call can take (the provisioner times out well before). */
export const STALE_PROVISIONING_MINUTES = 30;
export const IDEMPOTENCY_KEY_HOURS = 24;

export interface HousekeepingReport {
  reaped: string[];
  expired_idempotency_keys: number;
}

export async function houseKeep(sql: Sql): Promise<HousekeepingReport> {
  const stale = await sql<{ id: string }[]>`
    select id from public.sgtm_containers
    where status = 'provisioning' and created_at < now() - make_interval(mins => ${STALE_PROVISIONING_MINUTES})
    order by id`;
  const reaped: string[] = [];
  for (const { id } of stale) {
    // Re-checked under the row lock: a provisioning that finished meanwhile is left alone.
    const done = await sql.begin(async (tx) => {
      const [row] = await tx`select status from public.sgtm_containers where id = ${id} for update`;
      if (row?.status !== "provisioning") return false;
      await failContainer(tx, id);
      return true;
    });
    if (done) reaped.push(id);
  }
  const stuckKeys = await sql`
    delete from public.idempotency_keys
    where response_body is null and created_at < now() - make_interval(mins => ${STALE_PROVISIONING_MINUTES})`;
  const oldKeys = await sql`
    delete from public.idempotency_keys
    where response_body is not null and created_at < now() - make_interval(hours => ${IDEMPOTENCY_KEY_HOURS})`;
  return { reaped, expired_idempotency_keys: stuckKeys.count + oldKeys.count };
}
