/**
 * EDGE_CACHE: a read-through cache only. Entries are hints; the container object
 * re-checks ownership on every request, so a stale entry can never route a host
 * to a container that no longer owns it. Every failure here is swallowed (fail-open), and a
 * call that has not answered within KV_TIMEOUT_MS counts as failed: a slow KV costs a request
 * at most that long, never KV's own delay (test/reliability/workerd/kv-faults.test.ts).
 */
import type { EdgeConfig } from "../shared/edge-config";
import type { RouteEntry, RouteKey } from "../shared/routing-keys";

const ROUTE_TTL_SECONDS = 86_400;
const READ_CACHE_TTL_SECONDS = 60;
/** KV's minimum expiry. */
export const UNROUTED_TTL_SECONDS = 60;
/** Far above KV's usual answer times; past it the index or the control plane answers instead. */
const KV_TIMEOUT_MS = 1_000;

/** `call`, or a rejection once it has taken KV_TIMEOUT_MS. */
function bounded<T>(call: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`KV did not answer within ${KV_TIMEOUT_MS} ms`)), KV_TIMEOUT_MS);
  });
  return Promise.race([call, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
}

const routeCacheKey = (key: RouteKey) => `route:${key}`;
const configCacheKey = (containerId: string) => `config:${containerId}`;

/** What KV says of a key: its entry, that the index had no owner for it (recently), or nothing. */
export type CachedRoute = RouteEntry | typeof UNROUTED | null;
export const UNROUTED = "unrouted";

export async function readCachedRoute(kv: KVNamespace, key: RouteKey): Promise<CachedRoute> {
  try {
    const entry = await bounded(kv.get<RouteEntry | { unrouted: true }>(routeCacheKey(key), { type: "json", cacheTtl: READ_CACHE_TTL_SECONDS }));
    if (entry && "unrouted" in entry) return entry.unrouted === true ? UNROUTED : null;
    return entry && entry.key === key && typeof entry.container_id === "string" ? entry : null;
  } catch {
    return null;
  }
}

export async function writeCachedRoute(kv: KVNamespace, entry: RouteEntry): Promise<void> {
  try {
    await bounded(kv.put(routeCacheKey(entry.key), JSON.stringify(entry), { expirationTtl: ROUTE_TTL_SECONDS }));
  } catch {
    // The index stays the authority; the next miss fills the entry again.
  }
}

/**
 * Remembers that the index owns nothing for `key`, for KV's shortest expiry. A claim of the
 * key overwrites it (writeAppliedConfig), so it is only ever stale elsewhere, for at most
 * UNROUTED_TTL_SECONDS plus KV's read cache.
 */
export async function writeUnroutedKey(kv: KVNamespace, key: RouteKey): Promise<void> {
  try {
    await bounded(kv.put(routeCacheKey(key), JSON.stringify({ unrouted: true }), { expirationTtl: UNROUTED_TTL_SECONDS }));
  } catch {
    // Fail-open: the next miss asks the index again.
  }
}

export async function dropCachedRoutes(kv: KVNamespace, keys: RouteKey[]): Promise<void> {
  await Promise.allSettled(keys.map((key) => bounded(kv.delete(routeCacheKey(key)))));
}

export async function readCachedConfig(kv: KVNamespace, containerId: string): Promise<unknown> {
  try {
    return await bounded(kv.get(configCacheKey(containerId), { type: "json" }));
  } catch {
    return null;
  }
}

/** Overwrites the routes and the config of an applied version. */
export async function writeAppliedConfig(kv: KVNamespace, config: EdgeConfig, entries: RouteEntry[]): Promise<void> {
  await Promise.allSettled([
    bounded(kv.put(configCacheKey(config.container_id), JSON.stringify(config))),
    ...entries.map((entry) => writeCachedRoute(kv, entry)),
  ]);
}

export async function dropCachedConfig(kv: KVNamespace, containerId: string): Promise<void> {
  await bounded(kv.delete(configCacheKey(containerId))).catch(() => undefined);
}
