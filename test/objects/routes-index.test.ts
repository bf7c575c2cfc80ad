/** The routing index: each key has at most one owner; a conflicting claim changes nothing. */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { claimRoutes, lookupRoute, releaseRoutes, routedContainers, shardOf } from "../../src/bindings/routes-index";
import type { RoutesIndex } from "../../src/objects/RoutesIndex";
import type { RouteKey } from "../../src/shared/routing-keys";

function withIndex<T>(name: string, use: (index: RoutesIndex) => T) {
  return runInDurableObject(env.ROUTES.get(env.ROUTES.idFromName(`routes-test-${name}`)), use);
}

describe("RoutesIndex", () => {
  it("a claim replaces the container's keys and reports the ones it released", async () => {
    await withIndex("replace", (index) => {
      expect(index.claim("c1", [{ key: "host:a.test", container_id: "c1" }, { key: "loader:lt_a", container_id: "c1" }])).toEqual({
        ok: true,
        released: [],
      });
      expect(index.claim("c1", [{ key: "host:b.test", container_id: "c1" }, { key: "loader:lt_a", container_id: "c1" }])).toEqual({
        ok: true,
        released: ["host:a.test"],
      });
      expect(index.lookup("host:a.test")).toBeNull();
      expect(index.lookup("host:b.test")).toEqual({ key: "host:b.test", container_id: "c1" });
    });
  });

  it("a key owned by another container refuses the whole claim", async () => {
    await withIndex("conflict", (index) => {
      index.claim("c1", [{ key: "host:a.test", container_id: "c1" }]);
      const result = index.claim("c2", [
        { key: "host:new.test", container_id: "c2" },
        { key: "host:a.test", container_id: "c2" },
      ]);
      expect(result).toEqual({ ok: false, key: "host:a.test", owner: "c1" });
      expect(index.lookup("host:new.test")).toBeNull();
      expect(index.lookup("host:a.test")?.container_id).toBe("c1");
    });
  });

  it("keeps a site's id with its key, and release frees every key of a container", async () => {
    await withIndex("release", (index) => {
      index.claim("c1", [
        { key: "site:ct_a", container_id: "c1", site_id: "s1" },
        { key: "host:a.test", container_id: "c1" },
      ]);
      index.claim("c2", [{ key: "host:b.test", container_id: "c2" }]);
      expect(index.lookup("site:ct_a")).toEqual({ key: "site:ct_a", container_id: "c1", site_id: "s1" });
      expect(index.containers()).toEqual(["c1", "c2"]);
      expect(index.release("c1").sort()).toEqual(["host:a.test", "site:ct_a"]);
      expect(index.lookup("site:ct_a")).toBeNull();
      expect(index.containers()).toEqual(["c2"]);
    });
  });
});

/** `count` keys named after `prefix`, each on a different shard. */
function keysOnDistinctShards(prefix: string, count: number): RouteKey[] {
  const keys = new Map<number, RouteKey>();
  for (let i = 0; keys.size < count; i++) {
    const key: RouteKey = `host:${prefix}-${i}.test`;
    if (!keys.has(shardOf(key))) keys.set(shardOf(key), key);
  }
  return [...keys.values()];
}

const entriesOf = (containerId: string, keys: RouteKey[]) => keys.map((key) => ({ key, container_id: containerId }));

describe("the sharded index (claims across shards)", () => {
  it("a key of another container on one shard refuses the whole claim: no shard changes", async () => {
    const [taken, fresh, old] = keysOnDistinctShards("span", 3) as [RouteKey, RouteKey, RouteKey];
    expect(await claimRoutes(env, "s1", entriesOf("s1", [taken]), [])).toEqual({ ok: true, released: [] });
    expect(await claimRoutes(env, "s2", entriesOf("s2", [old]), [])).toMatchObject({ ok: true });
    const refused = await claimRoutes(env, "s2", entriesOf("s2", [fresh, taken]), entriesOf("s2", [old]));
    expect(refused).toEqual({ ok: false, key: taken, owner: "s1" });
    expect(await lookupRoute(env, fresh)).toBeNull();
    expect((await lookupRoute(env, old))?.container_id).toBe("s2");
    // Positive control: without the conflict the same claim goes through and releases the old key.
    expect(await claimRoutes(env, "s2", entriesOf("s2", [fresh]), entriesOf("s2", [old]))).toEqual({ ok: true, released: [old] });
    expect((await lookupRoute(env, fresh))?.container_id).toBe("s2");
    expect(await routedContainers(env)).toEqual(expect.arrayContaining(["s1", "s2"]));
    expect((await releaseRoutes(env, "s2")).sort()).toEqual([fresh]);
  });

  it("two containers racing for keys on several shards: every key has one owner, no claim is half applied", async () => {
    const keys = keysOnDistinctShards("race", 4);
    const a = keys;
    const b = [...keys].reverse();
    const [ra, rb] = await Promise.all([claimRoutes(env, "ra", entriesOf("ra", a), []), claimRoutes(env, "rb", entriesOf("rb", b), [])]);
    const owners = await Promise.all(keys.map(async (key) => (await lookupRoute(env, key))?.container_id ?? null));
    const winner = ra.ok ? "ra" : rb.ok ? "rb" : null;
    expect(ra.ok && rb.ok).toBe(false);
    expect(owners).toEqual(keys.map(() => winner));
  });
});
