/**
 * Asks the container's object whether a request may go on: the one hop of the warm
 * path. The object owns pause state, usage and config_version; the Worker keeps the
 * prepared config of the version the object confirms.
 */
import { COUNTED_KINDS, type AdmitDecision, type AdmitKind, type Lease } from "../bindings/protocol";
import { containerStub } from "../bindings/stubs";
import { HttpError } from "../shared/errors";
import type { RouteEntry, RouteKey } from "../shared/routing-keys";
import type { AccessNote } from "./access";
import { answered, holdLease, leaseMinRate, slotsToAsk, useLeasedSlot } from "./leases";
import { prepareConfig, preparedConfig, type PreparedConfig } from "./prepared-config";
import { reresolveRoute, resolveRoute } from "./route-cache";

export interface Admission {
  entry: RouteEntry;
  prepared: PreparedConfig;
}

const NOT_FOUND = new HttpError(404, { error: "not_found" });

/**
 * Resolves `key` and asks its object. Throws the contract's error (404, 402, 500) or
 * returns the admission; with `allowPaused` a paused container is admitted uncounted.
 */
export async function admit(
  env: Env,
  ctx: ExecutionContext,
  request: { access: AccessNote },
  key: RouteKey,
  kind: AdmitKind,
  allowPaused = false,
): Promise<Admission> {
  const resolved = await resolveRoute(env, ctx, key);
  if (!resolved) throw NOT_FOUND;
  let entry = resolved.entry;
  const leased = admitOnLease(env, entry, key, kind);
  if (leased) {
    Object.assign(request.access, { containerId: entry.container_id, configVersion: leased.prepared.config.config_version });
    return leased;
  }
  let { decision, held } = await ask(env, ctx, entry, key, kind);
  if (decision.status === "not_found" && resolved.fromCache) {
    const fresh = await reresolveRoute(env, ctx, key);
    if (!fresh || fresh.container_id === entry.container_id) throw NOT_FOUND;
    entry = fresh;
    ({ decision, held } = await ask(env, ctx, entry, key, kind));
  }
  Object.assign(request.access, { containerId: entry.container_id, paused: decision.status === "paused" });
  switch (decision.status) {
    case "not_found":
    case "module_off":
      throw NOT_FOUND;
    case "config_unavailable":
      throw new HttpError(500, { error: "config_unavailable" });
    case "paused":
      if (!allowPaused) throw new HttpError(402, { error: "container_paused", reason: decision.reason });
  }
  const prepared = decision.config ? prepareConfig(decision.config) : held;
  if (!prepared) throw new HttpError(500, { error: "config_unavailable" });
  request.access.configVersion = prepared.config.config_version;
  return { entry, prepared };
}

/** A counted request covered by a slot this isolate holds: no hop (see leases.ts). */
function admitOnLease(env: Env, entry: RouteEntry, key: RouteKey, kind: AdmitKind): Admission | null {
  const module = COUNTED_KINDS[kind];
  const prepared = preparedConfig(entry.container_id);
  if (!module || !prepared || leaseMinRate(env.ADMISSION_LEASE_MIN_RPS) === null) return null;
  const { config, keys } = prepared;
  if (!keys.has(key) || !config.modules[module]) return null;
  if (!useLeasedSlot(entry.container_id, config.config_version, Date.now())) return null;
  return { entry, prepared };
}

async function ask(
  env: Env,
  ctx: ExecutionContext,
  entry: RouteEntry,
  key: RouteKey,
  kind: AdmitKind,
): Promise<{ decision: AdmitDecision; held: PreparedConfig | undefined }> {
  const containerId = entry.container_id;
  const held = preparedConfig(containerId);
  const want = COUNTED_KINDS[kind] ? slotsToAsk(containerId, leaseMinRate(env.ADMISSION_LEASE_MIN_RPS)) : 0;
  const stub = containerStub(env, containerId);
  let decision: AdmitDecision;
  try {
    decision = await stub.admit({ containerId, key, kind, knownVersion: held?.config.config_version ?? 0, want });
  } finally {
    if (want > 0) answered(containerId);
  }
  if (decision.status === "ok" && decision.lease) {
    const giveBack = (lease: Lease) => containerStub(env, containerId).returnLease(lease);
    holdLease(containerId, decision.version, decision.lease, Date.now(), giveBack, (work) => ctx.waitUntil(work));
  }
  return { decision, held };
}
