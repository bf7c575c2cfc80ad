/**
 * The routing index, sharded by key: each key lives in one of ROUTE_SHARDS RoutesIndex
 * objects, so misses and floods of unknown keys spread over them instead of landing on one.
 * A claim spans shards and keeps section 2's rule (a key has one owner; a push that would
 * take another container's key is refused whole). It touches the shards of the new keys
 * and of the previous ones:
 * 1. each shard holding a new key is checked: a key owned elsewhere refuses the push before
 *    anything changes;
 * 2. each shard replaces the container's keys with its part of the new set, atomically per
 *    shard (re-checking ownership);
 * 3. if a shard refused in step 2 (another container claimed the key between 1 and 2), the
 *    same shards get the previous set back, and the push is refused.
 * An object that dies between 2 and 3 leaves the keys it had claimed: they route to it, and
 * it answers 404 for keys it does not own; its next push or delete (every shard) clears them.
 */
import type { RouteEntry, RouteKey } from "../shared/routing-keys";
import type { ClaimResult } from "./protocol";
import { routesShard } from "./stubs";

export const ROUTE_SHARDS = 16;

/** FNV-1a of the key: stable across isolates and deployments. */
export function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % ROUTE_SHARDS;
}

const allShards = () => Array.from({ length: ROUTE_SHARDS }, (_, n) => n);

function byShard(entries: RouteEntry[]): RouteEntry[][] {
  const parts = allShards().map((): RouteEntry[] => []);
  for (const entry of entries) parts[shardOf(entry.key)]!.push(entry);
  return parts;
}

export function lookupRoute(env: Env, key: RouteKey): Promise<RouteEntry | null> {
  return routesShard(env, shardOf(key)).lookup(key);
}

/** Replaces the container's keys with `entries` across shards; `previous` is what to restore on a late conflict. */
export async function claimRoutes(
  env: Env,
  containerId: string,
  entries: RouteEntry[],
  previous: RouteEntry[],
): Promise<ClaimResult> {
  const parts = byShard(entries);
  const before = byShard(previous);
  const touched = allShards().filter((n) => parts[n]!.length > 0 || before[n]!.length > 0);
  const conflicts = await Promise.all(
    touched.map((n) => (parts[n]!.length ? routesShard(env, n).conflict(containerId, parts[n]!.map((e) => e.key)) : null)),
  );
  const early = conflicts.find((conflict) => conflict !== null);
  if (early) return { ok: false, ...early };
  const claims = await Promise.all(touched.map((n) => routesShard(env, n).claim(containerId, parts[n]!)));
  const late = claims.find((claim) => !claim.ok);
  if (late) {
    await Promise.all(touched.map((n) => routesShard(env, n).claim(containerId, before[n]!)));
    return late;
  }
  return { ok: true, released: claims.flatMap((claim) => (claim.ok ? claim.released : [])) };
}

/** Frees every key of the container in every shard; returns them. */
export async function releaseRoutes(env: Env, containerId: string): Promise<RouteKey[]> {
  const released = await Promise.all(allShards().map((n) => routesShard(env, n).release(containerId)));
  return released.flat();
}

/** Every container that owns a key, sorted. */
export async function routedContainers(env: Env): Promise<string[]> {
  const lists = await Promise.all(allShards().map((n) => routesShard(env, n).containers()));
  return [...new Set(lists.flat())].sort();
}
