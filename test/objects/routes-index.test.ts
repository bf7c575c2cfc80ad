/** The routing index: each key has at most one owner; a conflicting claim changes nothing. */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RoutesIndex } from "../../src/objects/RoutesIndex";

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
