/**
 * Pushing a container's EdgeConfig to the edge, fail-closed: a version counts
 * as synced only when the edge answered 200 with that exact config_version.
 * Every outcome is recorded in edge_sync_state and the container's pending
 * edge_sync_outbox row (completed on success, retried later with backoff).
 * Members of the client read edge_sync_state, so its last_error is only a code
 * (`edge_rejected 409 route_conflict`): the edge's body can name another tenant's
 * host. The detail goes to the outbox row, which only the functions read.
 */
import type { ConfigIssue } from "../../../src/shared/edge-config.ts";
import type { Sql } from "./db.ts";
import type { EdgeAdmin } from "./edge-admin.ts";
import { loadEdgeConfig } from "./edge-config-builder.ts";

export type SyncOutcome =
  | { kind: "synced"; container_id: string; config_version: number; applied: boolean }
  | { kind: "not_found" }
  | { kind: "config_incomplete"; issues: ConfigIssue[] }
  | { kind: "edge_unavailable"; edge: unknown; message: string }
  | { kind: "edge_rejected"; edge: unknown; status: number };

export async function syncContainer(sql: Sql, edge: EdgeAdmin, containerId: string): Promise<SyncOutcome> {
  const built = await loadEdgeConfig(sql, containerId);
  if (!built.ok && built.error === "not_found") {
    await skipOutbox(sql, containerId);
    return { kind: "not_found" };
  }
  if (!built.ok) {
    await recordFailure(sql, containerId, {
      code: `config_incomplete (${built.issues.map((i) => i.path).join(", ")})`,
      detail: built.issues.map((i) => `${i.path} ${i.message}`).join("; "),
    });
    return { kind: "config_incomplete", issues: built.issues };
  }
  const { config } = built;
  const reply = await edge.putConfig(config);
  if (reply.kind === "unavailable") {
    await recordFailure(sql, containerId, { code: `edge_unavailable after ${reply.tries} tries`, detail: reply.message });
    return { kind: "edge_unavailable", edge: reply.body, message: reply.message };
  }
  const confirmed = confirmation(reply.body, config.config_version);
  if (reply.status === 200 && confirmed) {
    await recordSynced(sql, containerId, config.config_version);
    return { kind: "synced", container_id: containerId, config_version: config.config_version, applied: confirmed.applied };
  }
  const staleAt = staleVersion(reply.status, reply.body);
  if (staleAt !== null) await leapfrogVersion(sql, containerId, staleAt);
  await recordFailure(sql, containerId, {
    code: `edge_rejected ${reply.status} ${edgeErrorCode(reply.body)}`,
    detail: JSON.stringify(reply.body),
  });
  return { kind: "edge_rejected", edge: reply.body, status: reply.status };
}

/** The edge's snake_case `error` (contract: `{"error":"route_conflict",…}`), nothing else of its body. */
function edgeErrorCode(body: unknown): string {
  const code = typeof body === "object" && body !== null ? (body as Record<string, unknown>).error : undefined;
  return typeof code === "string" && /^[a-z][a-z0-9_]{0,63}$/.test(code) ? code : "unknown";
}

function confirmation(body: unknown, version: number): { applied: boolean } | null {
  if (typeof body !== "object" || body === null) return null;
  const { applied, config_version } = body as Record<string, unknown>;
  return config_version === version && typeof applied === "boolean" ? { applied } : null;
}

function staleVersion(status: number, body: unknown): number | null {
  if (status !== 409 || typeof body !== "object" || body === null) return null;
  const { error, current_version } = body as Record<string, unknown>;
  return error === "stale_version" && Number.isSafeInteger(current_version) ? current_version as number : null;
}

/**
 * The edge holds a newer version than the database (e.g. after a restore):
 * move past it so the next push (enqueued by the trigger) is accepted.
 */
async function leapfrogVersion(sql: Sql, containerId: string, edgeVersion: number): Promise<void> {
  await sql`
    update public.sgtm_containers set config_version = ${edgeVersion} + 1
    where id = ${containerId} and config_version <= ${edgeVersion}`;
}

async function recordSynced(sql: Sql, containerId: string, version: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into public.edge_sync_state (container_id, synced_version, synced_at, last_error, attempts)
      values (${containerId}, ${version}, now(), null, 0)
      on conflict (container_id) do update set
        synced_version = greatest(coalesce(public.edge_sync_state.synced_version, 0), excluded.synced_version),
        synced_at = now(), last_error = null, attempts = 0, updated_at = now()`;
    await tx`
      update public.edge_sync_outbox set status = 'done', completed_at = now(), attempts = attempts + 1, last_error = null
      where container_id = ${containerId} and status = 'pending' and config_version <= ${version}`;
  });
}

/** `code`: what members may read (edge_sync_state); `detail`: for operators only (the outbox row). */
async function recordFailure(sql: Sql, containerId: string, error: { code: string; detail: string }): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into public.edge_sync_state (container_id, last_error, attempts)
      values (${containerId}, ${error.code}, 1)
      on conflict (container_id) do update set
        last_error = excluded.last_error, attempts = public.edge_sync_state.attempts + 1, updated_at = now()`;
    // capped exponential backoff: 30 s, 1 min, 2 min ... 64 min
    await tx`
      update public.edge_sync_outbox set
        attempts = attempts + 1, last_error = ${`${error.code}: ${error.detail}`},
        next_attempt_at = now() + interval '30 seconds' * power(2, least(attempts, 7))
      where container_id = ${containerId} and status = 'pending'`;
  });
}

async function skipOutbox(sql: Sql, containerId: string): Promise<void> {
  await sql`
    update public.edge_sync_outbox set status = 'skipped', completed_at = now()
    where container_id = ${containerId} and status = 'pending'`;
}
