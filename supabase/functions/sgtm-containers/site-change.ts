/**
 * Changes to a container's sites that the caller hears of only once the edge confirmed
 * them (fail-closed): the change is committed and pushed; when the edge does not confirm
 * that config_version, the change is undone (where the rows still hold what it wrote), the
 * undo is pushed like any change (the outbox retries it) and the caller gets an error with
 * nothing changed. The edge's own body is not passed on: it can name another tenant's host.
 */
import type postgres from "postgres";
import { HttpError } from "../../../src/shared/errors.ts";
import { UUID_RE } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { SyncOutcome } from "../_shared/edge-sync.ts";
import { canManage, clientRole } from "./store.ts";

type Tx = postgres.TransactionSql;

export interface SiteChangeDeps {
  sql: Sql;
  sync(containerId: string): Promise<SyncOutcome>;
}

/** The columns a site change writes, and what the answer is built from. */
export interface SiteKeys {
  site_id: string;
  primary_host: string;
  endpoint_key: string;
  previous_endpoint_key: string | null;
  path_prefix: string | null;
  forward_secret: string | null;
}

/** `caller` null: the service role (any container). Throws 404, 403 or 409 container_not_live. */
export async function managedLiveContainer(sql: Sql, caller: string | null, containerId: string): Promise<void> {
  const notFound = new HttpError(404, { error: "not_found", message: "no such container" });
  if (!UUID_RE.test(containerId)) throw notFound;
  const [container] = await sql`
    select client_id, status from public.sgtm_containers where id = ${containerId} and status <> 'deleted'`;
  if (!container) throw notFound;
  if (caller !== null && !canManage(await clientRole(sql, container.client_id, caller))) {
    throw new HttpError(403, { error: "forbidden", message: "only an owner or admin of the client may change its sites" });
  }
  if (container.status !== "active" && container.status !== "paused") {
    throw new HttpError(409, {
      error: "container_not_live",
      message: `the container is ${container.status}: its sites change once it is active`,
    });
  }
}

export function siteKeys(sql: Sql | Tx, containerId: string, siteIds: string[] | null): Promise<SiteKeys[]> {
  return sql<SiteKeys[]>`
    select id as site_id, primary_host, endpoint_key, previous_endpoint_key, path_prefix, forward_secret
    from public.sites
    where container_id = ${containerId} and (${siteIds}::uuid[] is null or id = any(${siteIds}::uuid[]))
    order by created_at, id`;
}

/**
 * Runs `change` (it returns the rows it updated, as SiteKeys) and pushes. Nothing updated:
 * nothing to push. Returns the confirmed config_version, or the current one.
 */
export async function changeSites(
  deps: SiteChangeDeps,
  containerId: string,
  change: (tx: Tx) => Promise<SiteKeys[]>,
): Promise<number> {
  const { before, after } = await deps.sql.begin(async (tx) => {
    const before = await tx<Before[]>`
      select id as site_id, primary_host, endpoint_key, previous_endpoint_key, endpoint_rotated_at, path_prefix, forward_secret
      from public.sites where container_id = ${containerId} for update`;
    return { before, after: await change(tx) };
  });
  if (after.length === 0) return await currentVersion(deps.sql, containerId);
  const outcome = await deps.sync(containerId);
  if (outcome.kind === "synced") return outcome.config_version;
  await undo(deps.sql, before, after);
  await deps.sync(containerId);
  throw unconfirmed(outcome);
}

async function currentVersion(sql: Sql, containerId: string): Promise<number> {
  const [row] = await sql`select config_version from public.sgtm_containers where id = ${containerId}`;
  return row!.config_version;
}

type Before = SiteKeys & { endpoint_rotated_at: Date | null };

/** Back to `before`, for each row still exactly as the change left it (a later change wins). */
async function undo(sql: Sql, before: Before[], after: SiteKeys[]): Promise<void> {
  await sql.begin(async (tx) => {
    for (const row of after) {
      const old = before.find((site) => site.site_id === row.site_id);
      if (!old) continue;
      await tx`
        update public.sites set
          endpoint_key = ${old.endpoint_key}, previous_endpoint_key = ${old.previous_endpoint_key},
          endpoint_rotated_at = ${old.endpoint_rotated_at}, path_prefix = ${old.path_prefix}, forward_secret = ${old.forward_secret}
        where id = ${row.site_id} and endpoint_key = ${row.endpoint_key}
          and previous_endpoint_key is not distinct from ${row.previous_endpoint_key}
          and path_prefix is not distinct from ${row.path_prefix}
          and forward_secret is not distinct from ${row.forward_secret}`;
    }
  });
}

export function unconfirmed(outcome: Exclude<SyncOutcome, { kind: "synced" }>): HttpError {
  const nothingChanged = "the edge did not confirm the change, so nothing was changed";
  switch (outcome.kind) {
    case "not_found":
      return new HttpError(404, { error: "not_found", message: "no such container" });
    case "config_incomplete":
      return new HttpError(409, { error: "config_incomplete", message: nothingChanged, issues: outcome.issues });
    case "edge_unavailable":
      return new HttpError(502, { error: "edge_unavailable", message: nothingChanged });
    case "edge_rejected":
      return new HttpError(502, { error: "edge_rejected", message: `${nothingChanged} (edge answered ${outcome.status})` });
  }
}
