import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../src/pipeline/bounded-map";

describe("BoundedMap", () => {
  it("never holds more than its bound: the oldest entry goes first", () => {
    const map = new BoundedMap<string, number>(3);
    for (const [i, key] of ["a", "b", "c", "d", "e"].entries()) map.set(key, i);
    expect(map.size).toBe(3);
    expect([...map.keys()]).toEqual(["c", "d", "e"]);
  });

  it("updating a key it holds evicts nothing", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2).set("a", 3);
    expect([...map.entries()]).toEqual([["a", 3], ["b", 2]]);
  });

  it("names the key an insert would push out, before it happens", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1);
    expect(map.evicting("b")).toBeUndefined();
    map.set("b", 2);
    expect(map.evicting("b")).toBeUndefined();
    expect(map.evicting("c")).toBe("a");
    expect(map.has("a")).toBe(true);
  });
});
