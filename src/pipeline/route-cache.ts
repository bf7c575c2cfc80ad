/**
 * Routing key -> container, looked up in isolate memory, then KV, then the routes
 * index (the authority). Entries are hints: the container object re-checks ownership.
 */
import { dropCachedRoutes, readCachedRoute, writeCachedRoute } from "../bindings/kv-cache";
import { routesIndex } from "../bindings/stubs";
import type { RouteEntry, RouteKey } from "../shared/routing-keys";
import { BoundedMap } from "./bounded-map";

const POSITIVE_TTL_MS = 60_000;
/** Short, so a newly pushed host routes quickly in isolates that saw it unknown. */
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;

type Cached = { entry: RouteEntry | null; expires: number };
const memory = new BoundedMap<RouteKey, Cached>(MAX_ENTRIES);

export type Resolved = { entry: RouteEntry; fromCache: boolean } | null;

export async function resolveRoute(env: Env, ctx: ExecutionContext, key: RouteKey): Promise<Resolved> {
  const now = Date.now();
  const cached = memory.get(key);
  if (cached && cached.expires > now) return cached.entry ? { entry: cached.entry, fromCache: true } : null;
  const fromKv = await readCachedRoute(env.EDGE_CACHE, key);
  if (fromKv) {
    remember(key, fromKv, now);
    return { entry: fromKv, fromCache: true };
  }
  const entry = await askIndex(env, ctx, key);
  return entry ? { entry, fromCache: false } : null;
}

/** After an object refused a cached route: drop the hint and ask the authority. */
export async function reresolveRoute(env: Env, ctx: ExecutionContext, key: RouteKey): Promise<RouteEntry | null> {
  memory.delete(key);
  ctx.waitUntil(dropCachedRoutes(env.EDGE_CACHE, [key]));
  return askIndex(env, ctx, key);
}

/** Called after a config push through this isolate, so its new keys route at once. */
export function forgetRoutes(keys: Iterable<RouteKey>): void {
  for (const key of keys) memory.delete(key);
}

/** The authority's answer, remembered in memory and written back to KV. */
async function askIndex(env: Env, ctx: ExecutionContext, key: RouteKey): Promise<RouteEntry | null> {
  const entry = await routesIndex(env).lookup(key);
  remember(key, entry, Date.now());
  if (entry) ctx.waitUntil(writeCachedRoute(env.EDGE_CACHE, entry));
  return entry;
}

function remember(key: RouteKey, entry: RouteEntry | null, now: number): void {
  memory.set(key, { entry, expires: now + (entry ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) });
}
