/**
 * Routing key -> container, looked up in isolate memory, then KV, then the routes index
 * (the authority, sharded). Entries are hints: the container object re-checks ownership.
 * Unknown keys are remembered too (isolate and KV, short-lived, overwritten by a claim), so
 * a flood of random hosts or tokens costs about one index call per key per TTL, and lives in
 * its own map, so it cannot push known routes out of memory.
 */
import { dropCachedRoutes, readCachedRoute, UNROUTED, writeCachedRoute, writeUnroutedKey } from "../bindings/kv-cache";
import { lookupRoute } from "../bindings/routes-index";
import type { RouteEntry, RouteKey } from "../shared/routing-keys";
import { BoundedMap } from "./bounded-map";

const POSITIVE_TTL_MS = 60_000;
/** Short, so a newly pushed key routes quickly in isolates that saw it unknown. */
export const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 50_000;
const MAX_UNKNOWN = 20_000;
/** KV writes for unknown keys, per isolate and second: a flood costs memory entries, not unbounded KV writes. */
const MAX_UNKNOWN_WRITES_PER_SECOND = 20;

const known = new BoundedMap<RouteKey, { entry: RouteEntry; expires: number }>(MAX_ENTRIES);
const unknown = new BoundedMap<RouteKey, number>(MAX_UNKNOWN);
const unknownWrites = { second: 0, count: 0 };

export type Resolved = { entry: RouteEntry; fromCache: boolean } | null;

export async function resolveRoute(env: Env, ctx: ExecutionContext, key: RouteKey): Promise<Resolved> {
  const now = Date.now();
  const cached = known.get(key);
  if (cached) {
    // A hint past its TTL still serves (the object, or the prepared config's keys, re-check
    // ownership) while it is refreshed in the background: no request waits on KV for it.
    if (cached.expires <= now) {
      cached.expires = now + POSITIVE_TTL_MS;
      ctx.waitUntil(lookUp(env, ctx, key));
    }
    return { entry: cached.entry, fromCache: true };
  }
  if ((unknown.get(key) ?? 0) > now) return null;
  return lookUp(env, ctx, key);
}

/** KV, then the index; what they say is remembered. */
async function lookUp(env: Env, ctx: ExecutionContext, key: RouteKey): Promise<Resolved> {
  const now = Date.now();
  const fromKv = await readCachedRoute(env.EDGE_CACHE, key);
  if (fromKv === UNROUTED) {
    known.delete(key);
    unknown.set(key, now + NEGATIVE_TTL_MS);
    return null;
  }
  if (fromKv) {
    remember(key, fromKv, now);
    return { entry: fromKv, fromCache: true };
  }
  const entry = await askIndex(env, ctx, key);
  return entry ? { entry, fromCache: false } : null;
}

/** After an object refused a cached route: drop the hint and ask the authority. */
export async function reresolveRoute(env: Env, ctx: ExecutionContext, key: RouteKey): Promise<RouteEntry | null> {
  known.delete(key);
  ctx.waitUntil(dropCachedRoutes(env.EDGE_CACHE, [key]));
  return askIndex(env, ctx, key);
}

/** Called after a config push through this isolate, so its new keys route at once. */
export function forgetRoutes(keys: Iterable<RouteKey>): void {
  for (const key of keys) {
    known.delete(key);
    unknown.delete(key);
  }
}

/** The authority's answer, remembered in memory and written back to KV. */
async function askIndex(env: Env, ctx: ExecutionContext, key: RouteKey): Promise<RouteEntry | null> {
  const entry = await lookupRoute(env, key);
  const now = Date.now();
  if (entry) {
    remember(key, entry, now);
    ctx.waitUntil(writeCachedRoute(env.EDGE_CACHE, entry));
    return entry;
  }
  known.delete(key);
  unknown.set(key, now + NEGATIVE_TTL_MS);
  if (mayWriteUnknown(now)) ctx.waitUntil(writeUnroutedKey(env.EDGE_CACHE, key));
  return null;
}

function remember(key: RouteKey, entry: RouteEntry, now: number): void {
  unknown.delete(key);
  known.set(key, { entry, expires: now + POSITIVE_TTL_MS });
}

function mayWriteUnknown(now: number): boolean {
  const second = Math.floor(now / 1000);
  if (unknownWrites.second !== second) Object.assign(unknownWrites, { second, count: 0 });
  unknownWrites.count += 1;
  return unknownWrites.count <= MAX_UNKNOWN_WRITES_PER_SECOND;
}
