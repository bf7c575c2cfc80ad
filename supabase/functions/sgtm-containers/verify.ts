/**
 * POST sgtm-containers/{id}/verify: ask the edge what it holds for the
 * container, re-push the config when the edge is behind the database, and
 * bring the container's status in line with the edge's pause state.
 */
import { HttpError } from "../../../src/shared/errors.ts";
import { UUID_RE } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin, EdgeReply } from "../_shared/edge-admin.ts";
import { canManage, clientRole } from "./store.ts";

export interface VerifyDeps {
  sql: Sql;
  edge: EdgeAdmin;
  sync(containerId: string): Promise<unknown>;
}

export interface Verified {
  id: string;
  status: string;
  config_version: number;
  /** What the edge serves; null when the edge has no config for the container. */
  edge_config_version: number | null;
}

interface EdgeState {
  version: number | null;
  paused: { reason: string; since: string } | null;
}

export async function verifyContainer(deps: VerifyDeps, userId: string, containerId: string): Promise<Verified> {
  const notFound = new HttpError(404, { error: "not_found", message: "no such container" });
  if (!UUID_RE.test(containerId)) throw notFound;
  const [container] = await deps.sql`
    select id, client_id, status, config_version from public.sgtm_containers
    where id = ${containerId} and status <> 'deleted'`;
  if (!container) throw notFound;
  if (!canManage(await clientRole(deps.sql, container.client_id, userId))) {
    throw new HttpError(403, { error: "forbidden", message: "only an owner or admin of the client may verify containers" });
  }
  const live = container.status === "active" || container.status === "paused";
  let edge = await edgeState(deps.edge, containerId);
  if (live && (edge.version === null || edge.version < container.config_version)) {
    await deps.sync(containerId);
    edge = await edgeState(deps.edge, containerId);
  }
  const status = live && edge.version !== null ? await reconcileStatus(deps.sql, containerId, edge) : container.status;
  const [current] = await deps.sql`select config_version from public.sgtm_containers where id = ${containerId}`;
  return { id: containerId, status, config_version: current!.config_version, edge_config_version: edge.version };
}

async function edgeState(edge: EdgeAdmin, containerId: string): Promise<EdgeState> {
  const reply: EdgeReply = await edge.getContainer(containerId);
  if (reply.kind === "answered" && reply.status === 404) return { version: null, paused: null };
  if (reply.kind === "answered" && reply.status === 200) {
    const body = reply.body as { config_version?: unknown; paused?: EdgeState["paused"] };
    if (Number.isSafeInteger(body?.config_version)) {
      return { version: body.config_version as number, paused: body.paused ?? null };
    }
  }
  throw new HttpError(502, {
    error: "edge_unavailable",
    message: reply.kind === "unavailable" ? reply.message : `edge answered ${reply.status}`,
  });
}

/** The edge decides whether a live container is paused; the database records it. */
async function reconcileStatus(sql: Sql, containerId: string, edge: EdgeState): Promise<string> {
  const [row] = edge.paused
    ? await sql`
        update public.sgtm_containers
        set status = 'paused', paused_reason = ${edge.paused.reason}, paused_at = ${edge.paused.since}
        where id = ${containerId} and status in ('active', 'paused')
        returning status`
    : await sql`
        update public.sgtm_containers set status = 'active', paused_reason = null, paused_at = null
        where id = ${containerId} and status in ('active', 'paused')
        returning status`;
  return row?.status ?? "unknown";
}
