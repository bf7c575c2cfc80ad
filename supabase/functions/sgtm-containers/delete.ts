/**
 * DELETE sgtm-containers/{id} (contract section 11): the edge deletes the
 * container (every host and token 404), the edge provider forgets its
 * hostnames, the provisioner tears it down, then the database releases ports,
 * sites, hostnames and tokens and keeps the row as `deleted` (billing history:
 * usage and subscription rows stay). Each outside step treats "already gone"
 * as done, and the database changes only after all of them, so repeating the
 * call after a failure, or after success, is harmless.
 */
import { HttpError } from "../../../src/shared/errors.ts";
import { UUID_RE } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeActivation } from "../_shared/edge-activation.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import { deprovision } from "./provisioner.ts";
import { canManage, clientRole } from "./store.ts";

export interface DeleteDeps {
  sql: Sql;
  edge: EdgeAdmin;
  activation: () => EdgeActivation;
  /** Where the provisioner listens and its bearer secret, when it requires one. */
  provisioner: { url: string; token?: string };
}

export async function deleteContainer(deps: DeleteDeps, userId: string, containerId: string): Promise<{ deleted: true }> {
  const notFound = new HttpError(404, { error: "not_found", message: "no such container" });
  if (!UUID_RE.test(containerId)) throw notFound;
  const [container] = await deps.sql<{ id: string; client_id: string; status: string }[]>`
    select id, client_id, status from public.sgtm_containers where id = ${containerId}`;
  if (!container) throw notFound;
  const role = await clientRole(deps.sql, container.client_id, userId);
  if (role === null) throw notFound;
  if (!canManage(role)) {
    throw new HttpError(403, { error: "forbidden", message: "only an owner or admin of the client may delete containers" });
  }

  const reply = await deps.edge.deleteContainer(containerId);
  if (reply.kind === "unavailable" || (reply.status !== 200 && reply.status !== 404)) {
    throw new HttpError(502, {
      error: "edge_unavailable",
      message: reply.kind === "unavailable" ? reply.message : `edge answered ${reply.status}`,
    });
  }
  const activated = await deps.sql<{ id: string; provider_hostname_id: string }[]>`
    select d.id, d.provider_hostname_id from public.site_domains d join public.sites s on s.id = d.site_id
    where s.container_id = ${containerId} and d.provider_hostname_id is not null`;
  for (const domain of activated) {
    const done = await deps.activation().deactivate(domain.provider_hostname_id);
    if (!done.ok) throw new HttpError(502, { error: "edge_provider_failed", message: done.message });
    await deps.sql`update public.site_domains set provider_hostname_id = null, provider_status = null where id = ${domain.id}`;
  }
  const torn = await deprovision(deps.provisioner, containerId);
  if (!torn.ok) {
    throw new HttpError(502, { error: "provisioner_failed", message: `the provisioner did not tear the container down: ${torn.reason}` });
  }
  await deps.sql.begin(async (tx) => {
    // status first: the config-version triggers then enqueue nothing for it
    await tx`update public.sgtm_containers set status = 'deleted' where id = ${containerId}`;
    await tx`update public.port_pool set container_id = null, allocated_at = null where container_id = ${containerId}`;
    await tx`delete from public.sites where container_id = ${containerId}`;
    await tx`update public.subscriptions set status = 'canceled' where container_id = ${containerId} and status <> 'canceled'`;
    await tx`
      update public.edge_sync_outbox set status = 'skipped', completed_at = now()
      where container_id = ${containerId} and status = 'pending'`;
  });
  return { deleted: true };
}
