/**
 * EDGE_CACHE: a read-through cache only. Entries are hints; the container object
 * re-checks ownership on every request, so a stale entry can never route a host
 * to a container that no longer owns it. Every failure here is swallowed (fail-open).
 */
import type { EdgeConfig } from "../shared/edge-config";
import type { RouteEntry, RouteKey } from "../shared/routing-keys";

const ROUTE_TTL_SECONDS = 86_400;
const READ_CACHE_TTL_SECONDS = 60;
/** KV's minimum expiry. */
export const UNROUTED_TTL_SECONDS = 60;

const routeCacheKey = (key: RouteKey) => `route:${key}`;
const configCacheKey = (containerId: string) => `config:${containerId}`;

/** What KV says of a key: its entry, that the index had no owner for it (recently), or nothing. */
export type CachedRoute = RouteEntry | typeof UNROUTED | null;
export const UNROUTED = "unrouted";

export async function readCachedRoute(kv: KVNamespace, key: RouteKey): Promise<CachedRoute> {
  try {
    const entry = await kv.get<RouteEntry | { unrouted: true }>(routeCacheKey(key), { type: "json", cacheTtl: READ_CACHE_TTL_SECONDS });
    if (entry && "unrouted" in entry) return entry.unrouted === true ? UNROUTED : null;
    return entry && entry.key === key && typeof entry.container_id === "string" ? entry : null;
  } catch {
    return null;
  }
}

export async function writeCachedRoute(kv: KVNamespace, entry: RouteEntry): Promise<void> {
  try {
    await kv.put(routeCacheKey(entry.key), JSON.stringify(entry), { expirationTtl: ROUTE_TTL_SECONDS });
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
    await kv.put(routeCacheKey(key), JSON.stringify({ unrouted: true }), { expirationTtl: UNROUTED_TTL_SECONDS });
  } catch {
    // Fail-open: the next miss asks the index again.
  }
}

export async function dropCachedRoutes(kv: KVNamespace, keys: RouteKey[]): Promise<void> {
  await Promise.allSettled(keys.map((key) => kv.delete(routeCacheKey(key))));
}

export async function readCachedConfig(kv: KVNamespace, containerId: string): Promise<unknown> {
  try {
    return await kv.get(configCacheKey(containerId), { type: "json" });
  } catch {
    return null;
  }
}

/** Overwrites the routes and the config of an applied version. */
export async function writeAppliedConfig(kv: KVNamespace, config: EdgeConfig, entries: RouteEntry[]): Promise<void> {
  await Promise.allSettled([
    kv.put(configCacheKey(config.container_id), JSON.stringify(config)),
    ...entries.map((entry) => writeCachedRoute(kv, entry)),
  ]);
}

export async function dropCachedConfig(kv: KVNamespace, containerId: string): Promise<void> {
  await kv.delete(configCacheKey(containerId)).catch(() => undefined);
}
