/**
 * Asks the container's object whether a request may go on: the one hop of the warm
 * path. The object owns pause state, usage and config_version; the Worker keeps the
 * prepared config of the version the object confirms.
 */
import type { AdmitDecision, AdmitKind } from "../objects/protocol";
import { HttpError } from "../shared/errors";
import type { RouteEntry, RouteKey } from "../shared/routing-keys";
import { noteAccess } from "./access";
import { prepareConfig, preparedConfig, type PreparedConfig } from "./prepared-config";
import { reresolveRoute, resolveRoute } from "./route-cache";

export interface Admission {
  entry: RouteEntry;
  prepared: PreparedConfig;
  stub: DurableObjectStub<import("../objects/ContainerObject").ContainerObject>;
}

const NOT_FOUND = new HttpError(404, { error: "not_found" });

export function containerStub(env: Env, containerId: string) {
  return env.CONTAINER.get(env.CONTAINER.idFromName(containerId));
}

/**
 * Resolves `key` and asks its object. Throws the contract's error (404, 402, 500) or
 * returns the admission; with `allowPaused` a paused container is admitted uncounted.
 */
export async function admit(
  env: Env,
  ctx: ExecutionContext,
  request: Request,
  key: RouteKey,
  kind: AdmitKind,
  allowPaused = false,
): Promise<Admission> {
  const resolved = await resolveRoute(env, ctx, key);
  if (!resolved) throw NOT_FOUND;
  let entry = resolved.entry;
  let { decision, held } = await ask(env, entry, key, kind);
  if (decision.status === "not_found" && resolved.fromCache) {
    const fresh = await reresolveRoute(env, ctx, key);
    if (!fresh || fresh.container_id === entry.container_id) throw NOT_FOUND;
    entry = fresh;
    ({ decision, held } = await ask(env, entry, key, kind));
  }
  noteAccess(request, { containerId: entry.container_id, paused: decision.status === "paused" });
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
  noteAccess(request, { configVersion: prepared.config.config_version });
  return {
    entry,
    prepared,
    stub: containerStub(env, entry.container_id),
  };
}

async function ask(
  env: Env,
  entry: RouteEntry,
  key: RouteKey,
  kind: AdmitKind,
): Promise<{ decision: AdmitDecision; held: PreparedConfig | undefined }> {
  const held = preparedConfig(entry.container_id);
  const decision = await containerStub(env, entry.container_id).admit({
    containerId: entry.container_id,
    key,
    kind,
    knownVersion: held?.config.config_version ?? 0,
  });
  return { decision, held };
}
