/**
 * Whether a request may go on. The container's object owns pause state, usage and
 * config_version; a warm isolate decides on the object's last word and a lease of counted
 * slots without a hop (leases.ts), and asks the object when it has no word, the word is too
 * old, the lease is spent (near the plan limit, one by one) or the container is paused.
 */
import { COUNTED_KINDS, type AdmitDecision, type AdmitKind, type Lease } from "../bindings/protocol";
import { containerStub } from "../bindings/stubs";
import { HttpError } from "../shared/errors";
import type { RouteEntry, RouteKey } from "../shared/routing-keys";
import type { NotedRequest } from "./access";
import {
  countRequest,
  endLease,
  heard,
  knownState,
  leaseMinRate,
  slotsToAsk,
  spendSlot,
  stateFor,
  STATE_TTL_MS,
  wantsTopUp,
  type Known,
} from "./leases";
import { forgetPreparedConfig, prepareConfig, preparedConfig, type PreparedConfig } from "./prepared-config";
import { reresolveRoute, resolveRoute } from "./route-cache";

export interface Admission {
  entry: RouteEntry;
  prepared: PreparedConfig;
}

const NOT_FOUND = new HttpError(404, { error: "not_found" });

/**
 * Resolves `key` and admits the request. Throws the contract's error (404, 402, 500) or
 * returns the admission; with `allowPaused` a paused container is admitted uncounted.
 * A token key admits only when the request host (section 3) routes to the same container
 * (section 8): checked by the object, or locally against the prepared config, before
 * anything is counted.
 */
export async function admit(
  env: Env,
  ctx: ExecutionContext,
  request: NotedRequest,
  key: RouteKey,
  kind: AdmitKind,
  allowPaused = false,
): Promise<Admission> {
  const host = request.parsed.host;
  if (!host) throw NOT_FOUND;
  const hostKey: RouteKey = `host:${host}`;
  const resolved = await resolveRoute(env, ctx, key);
  if (!resolved) throw NOT_FOUND;
  let entry = resolved.entry;
  const minRate = leaseMinRate(env.ADMISSION_LEASE_MIN_RPS);
  const local = admitLocally(env, ctx, entry, key, hostKey, kind, allowPaused, minRate);
  if (local) {
    const paused = knownState(entry.container_id)?.paused !== null;
    Object.assign(request.access, { containerId: entry.container_id, configVersion: local.config.config_version, paused });
    return { entry, prepared: local };
  }
  let { decision, held } = await ask(env, ctx, entry, key, hostKey, kind, minRate);
  if (decision.status === "not_found" && resolved.fromCache) {
    const fresh = await reresolveRoute(env, ctx, key);
    if (!fresh || fresh.container_id === entry.container_id) throw NOT_FOUND;
    entry = fresh;
    ({ decision, held } = await ask(env, ctx, entry, key, hostKey, kind, minRate));
  }
  Object.assign(request.access, { containerId: entry.container_id, paused: decision.status === "paused" });
  switch (decision.status) {
    case "not_found":
    case "module_off":
    case "foreign_host":
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

/**
 * The decision the object would make, taken on its last word of the version this isolate
 * holds: key owned, module on, not paused, and for a counted request a live lease slot.
 * Null sends the request to the object. May start a background top-up.
 */
function admitLocally(
  env: Env,
  ctx: ExecutionContext,
  entry: RouteEntry,
  key: RouteKey,
  hostKey: RouteKey,
  kind: AdmitKind,
  allowPaused: boolean,
  minRate: number | null,
): PreparedConfig | null {
  const containerId = entry.container_id;
  const state = knownState(containerId);
  // Strict mode (ADMISSION_LEASE_MIN_RPS=off): the object decides every request.
  if (!state || minRate === null) return null;
  const now = Date.now();
  const module = COUNTED_KINDS[kind];
  if (module) countRequest(state, now);
  const prepared = preparedConfig(containerId);
  if (!prepared || prepared.config.config_version !== state.version || now - state.heardAt > STATE_TTL_MS) return null;
  if (!prepared.keys.has(key) || !prepared.keys.has(hostKey) || (module && !prepared.config.modules[module])) return null;
  if (state.paused !== null && (module || !allowPaused)) return null;
  if (module && !spendSlot(state, now)) return null;
  if (wantsTopUp(state, now, minRate)) topUp(env, ctx, containerId, state, minRate, now);
  return prepared;
}

async function ask(
  env: Env,
  ctx: ExecutionContext,
  entry: RouteEntry,
  key: RouteKey,
  hostKey: RouteKey,
  kind: AdmitKind,
  minRate: number | null,
): Promise<{ decision: AdmitDecision; held: PreparedConfig | undefined }> {
  const containerId = entry.container_id;
  const held = preparedConfig(containerId);
  const state = stateFor(containerId, giveBackTo(env, containerId), keepAlive(ctx));
  const want = slotsToAsk(state, minRate, Date.now());
  const knownVersion = held?.config.config_version ?? 0;
  const host = hostKey === key ? {} : { host: hostKey };
  const call = containerStub(env, containerId).admit({ containerId, key, ...host, kind, knownVersion, want });
  if (want > 0) state.inflight = call;
  let decision: AdmitDecision;
  try {
    decision = await call;
  } finally {
    if (state.inflight === call) state.inflight = null;
  }
  remember(ctx, containerId, state, decision, want, false);
  return { decision, held };
}

/** A background call for the object's current word and more slots: the request does not wait for it. */
function topUp(env: Env, ctx: ExecutionContext, containerId: string, state: Known, minRate: number | null, now: number) {
  const knownVersion = preparedConfig(containerId)?.config.config_version ?? 0;
  const want = slotsToAsk(state, minRate, now);
  const call = containerStub(env, containerId).topUp({ containerId, knownVersion, want });
  state.inflight = call;
  ctx.waitUntil(
    call.then(
      (decision) => {
        state.inflight = null;
        remember(ctx, containerId, state, decision, want, true);
      },
      (error: unknown) => {
        state.inflight = null;
        console.warn(`lease top-up for ${containerId} failed: ${String(error)}`);
      },
    ),
  );
}

/**
 * Keeps what an answer says: its config, its word and slots. A top-up's not_found means the
 * container is gone (an admission's can mean only that key): forgotten, so its next requests
 * go to the object, which answers 404.
 */
function remember(
  ctx: ExecutionContext,
  containerId: string,
  state: Known,
  decision: AdmitDecision,
  asked: number,
  topUp: boolean,
): void {
  if (decision.status === "ok" || decision.status === "paused") {
    if (decision.config && !state.ended) prepareConfig(decision.config);
    const paused = decision.status === "paused" ? decision.reason : null;
    const lease = decision.status === "ok" ? decision.lease : undefined;
    heard(containerId, state, { version: decision.version, paused, lease, asked }, Date.now(), keepAlive(ctx));
  } else if (decision.status === "not_found" && topUp && !state.ended) {
    ctx.waitUntil(endLease(containerId));
    forgetPreparedConfig(containerId);
  }
}

function giveBackTo(env: Env, containerId: string) {
  // Makes its stub when called: the give-back may run in another request than the grant.
  return (lease: Lease) => containerStub(env, containerId).returnLease(lease);
}

const keepAlive = (ctx: ExecutionContext) => (work: Promise<unknown>) => ctx.waitUntil(work);
