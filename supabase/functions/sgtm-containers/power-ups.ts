/**
 * POST sgtm-containers/{id}/power-ups (owner/admin; docs/power-ups.md): switches the
 * container's power-ups. The body names the fields to change (`null` switches one back off);
 * `{}` changes nothing and answers the current state. Switching on a power-up the plan does
 * not include is 403 not_in_plan; switching off always works. The change is answered only
 * once the edge confirmed it; else it is undone (the undo is pushed like any change) and the
 * caller gets 502 with nothing changed.
 */
import { z } from "zod";
import { powerUpsSchema } from "../../../src/shared/edge-config.ts";
import { HttpError } from "../../../src/shared/errors.ts";
import { UUID_RE } from "../../../src/shared/ids.ts";
import type { Sql } from "../_shared/db.ts";
import type { SyncOutcome } from "../_shared/edge-sync.ts";
import { entitledPowerUps, isOff, POWER_UP_ENTITLEMENT } from "../_shared/power-ups.ts";
import { unconfirmed } from "./site-change.ts";
import { canManage, clientRole } from "./store.ts";

/** Which fields may be named; their values are checked on the merged whole by the EdgeConfig schema. */
export const powerUpsBodySchema = z.strictObject(
  Object.fromEntries(Object.keys(POWER_UP_ENTITLEMENT).map((field) => [field, z.unknown().optional()])),
);

export interface PowerUpsDeps {
  sql: Sql;
  sync(containerId: string): Promise<SyncOutcome>;
}

type Stored = Record<string, unknown>;

export async function setPowerUps(deps: PowerUpsDeps, userId: string, containerId: string, body: Record<string, unknown>) {
  await managedLive(deps.sql, userId, containerId);
  const [row] = await deps.sql<{ power_ups: Stored | null; entitlements: Stored | null }[]>`
    select c.power_ups, p.entitlements from public.sgtm_containers c
    left join public.subscriptions s on s.container_id = c.id and s.status <> 'canceled'
    left join public.plans p on p.id = s.plan_id
    where c.id = ${containerId}`;
  const before = row!.power_ups;
  const entitlements = row!.entitlements ?? {};
  const merged: Stored = { ...(before ?? {}) };
  for (const [field, value] of Object.entries(body)) {
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  const parsed = powerUpsSchema.safeParse(merged);
  if (!parsed.success) {
    throw new HttpError(400, {
      error: "invalid_body",
      message: "body does not match the expected shape",
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message })),
    });
  }
  const notInPlan = Object.entries(body)
    .filter(([field, value]) => !isOff(field, value) && entitlements[POWER_UP_ENTITLEMENT[field]!] !== true)
    .map(([field]) => field);
  if (notInPlan.length > 0) {
    throw new HttpError(403, {
      error: "not_in_plan",
      message: `the container's plan does not include ${notInPlan.join(", ")}`,
      power_ups: notInPlan,
    });
  }
  const after = Object.keys(merged).length > 0 ? merged : null;
  let configVersion: number;
  if (JSON.stringify(after) === JSON.stringify(before)) {
    configVersion = await currentVersion(deps.sql, containerId);
  } else {
    await write(deps.sql, containerId, after);
    const outcome = await deps.sync(containerId);
    if (outcome.kind !== "synced") {
      await write(deps.sql, containerId, before);
      await deps.sync(containerId);
      throw unconfirmed(outcome);
    }
    configVersion = outcome.config_version;
  }
  return {
    container_id: containerId,
    config_version: configVersion,
    power_ups: after ?? {},
    pushed: entitledPowerUps(after, entitlements).power_ups ?? {},
  };
}

/** 404 unknown (or another client's), 403 a member, 409 not live. */
async function managedLive(sql: Sql, userId: string, containerId: string): Promise<void> {
  const notFound = new HttpError(404, { error: "not_found", message: "no such container" });
  if (!UUID_RE.test(containerId)) throw notFound;
  const [container] = await sql<{ client_id: string; status: string }[]>`
    select client_id, status from public.sgtm_containers where id = ${containerId} and status <> 'deleted'`;
  if (!container) throw notFound;
  const role = await clientRole(sql, container.client_id, userId);
  if (role === null) throw notFound;
  if (!canManage(role)) throw new HttpError(403, { error: "forbidden", message: "only an owner or admin of the client may change power-ups" });
  if (container.status !== "active" && container.status !== "paused") {
    throw new HttpError(409, { error: "container_not_live", message: `the container is ${container.status}: its power-ups change once it is active` });
  }
}

async function write(sql: Sql, containerId: string, value: Stored | null): Promise<void> {
  await sql`update public.sgtm_containers set power_ups = ${value === null ? null : sql.json(value as never)} where id = ${containerId}`;
}

async function currentVersion(sql: Sql, containerId: string): Promise<number> {
  const [row] = await sql<{ config_version: number }[]>`select config_version from public.sgtm_containers where id = ${containerId}`;
  return row!.config_version;
}
