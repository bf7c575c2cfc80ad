/**
 * A container whose provisioning did not finish: sgtm-containers calls this when the
 * provisioner fails, nightly-drift-check's housekeeping when the function died midway.
 */
import type postgres from "postgres";

/**
 * Provisioning failed: the container stays as a `failed` record, but it holds
 * nothing any more: ports back in the pool, sites and their domains (free to
 * claim again) and its subscription removed.
 */
export async function failContainer(tx: postgres.TransactionSql, containerId: string): Promise<void> {
  await tx`update public.port_pool set container_id = null, allocated_at = null where container_id = ${containerId}`;
  await tx`delete from public.sites where container_id = ${containerId}`;
  await tx`delete from public.subscriptions where container_id = ${containerId}`;
  await tx`update public.sgtm_containers set status = 'failed' where id = ${containerId}`;
}
