/**
 * POST sgtm-containers/{id}/plan {"plan_id"}: move the container's live
 * subscription to another plan. The new limit reaches the edge before the 200
 * (the push is the config the edge enforces); a container paused for its usage
 * limit is resumed at once when the new plan allows more, and the edge's pause
 * state is recorded.
 */
import { z } from "zod";
import { HttpError } from "../../../src/shared/errors.ts";
import { UUID_RE } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { EdgeAdmin } from "../_shared/edge-admin.ts";
import type { SyncOutcome } from "../_shared/edge-sync.ts";
import { canManage, clientRole } from "./store.ts";

export const planBodySchema = z.strictObject({ plan_id: z.string().regex(/^[a-z0-9_-]{1,64}$/, "must be a plan id") });

export interface PlanDeps {
  sql: Sql;
  edge: EdgeAdmin;
  sync(containerId: string): Promise<SyncOutcome>;
}

export async function changePlan(deps: PlanDeps, userId: string, containerId: string, planId: string) {
  const notFound = new HttpError(404, { error: "not_found", message: "no such container" });
  if (!UUID_RE.test(containerId)) throw notFound;
  const [container] = await deps.sql<{ client_id: string; status: string; paused_reason: string | null }[]>`
    select client_id, status, paused_reason from public.sgtm_containers
    where id = ${containerId} and status in ('active', 'paused')`;
  if (!container) throw notFound;
  const role = await clientRole(deps.sql, container.client_id, userId);
  if (role === null) throw notFound;
  if (!canManage(role)) throw new HttpError(403, { error: "forbidden", message: "only an owner or admin of the client may change plans" });
  const [plan] = await deps.sql<{ id: string; monthly_request_limit: number | null }[]>`
    select id, monthly_request_limit from public.plans where id = ${planId}`;
  if (!plan) {
    throw new HttpError(400, {
      error: "invalid_body",
      message: "body does not match the expected shape",
      issues: [{ path: "plan_id", message: "no such plan" }],
    });
  }
  const updated = await deps.sql`
    update public.subscriptions set plan_id = ${plan.id} where container_id = ${containerId} and status <> 'canceled'
    returning id`;
  if (updated.length === 0) await deps.sql`insert into public.subscriptions (container_id, plan_id) values (${containerId}, ${plan.id})`;

  const outcome = await deps.sync(containerId);
  if (outcome.kind !== "synced") {
    throw new HttpError(502, {
      error: outcome.kind === "edge_rejected" ? "edge_rejected" : "edge_unavailable",
      message: "the plan is saved but the edge has not confirmed the new limit yet; it is retried automatically",
    });
  }
  // A raised limit lifts a usage_limit pause with the push itself (contract section 2); the edge decides.
  const state = await deps.edge.getContainer(containerId);
  const paused = state.kind === "answered" && state.status === 200
    ? (state.body as { paused?: { reason: string; since: string } | null }).paused ?? null
    : undefined;
  if (paused === null && container.status === "paused") {
    await deps.sql`
      update public.sgtm_containers set status = 'active', paused_reason = null, paused_at = null
      where id = ${containerId} and status = 'paused'`;
  }
  const [row] = await deps.sql<{ status: string; config_version: number }[]>`
    select status, config_version from public.sgtm_containers where id = ${containerId}`;
  return {
    id: containerId,
    plan_id: plan.id,
    monthly_request_limit: plan.monthly_request_limit === null ? null : Number(plan.monthly_request_limit),
    status: row!.status,
    config_version: row!.config_version,
    paused: paused ?? null,
  };
}
