/** Usage per UTC day and month, written through to SQLite. */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sqlTag } from "../../src/objects/sql";
import { UsageCounter } from "../../src/objects/usage";

const at = (iso: string) => new Date(iso).getTime();

function withStorage<T>(name: string, use: (storage: DurableObjectStorage) => T) {
  return runInDurableObject(env.CONTAINER.get(env.CONTAINER.idFromName(`usage-test-${name}`)), (_instance, state) =>
    use(state.storage),
  );
}

describe("UsageCounter", () => {
  it("counts per day, sums the month, and a new counter reads the same from storage", async () => {
    await withStorage("rollover", (storage) => {
      const usage = new UsageCounter(sqlTag(storage));
      usage.increment(at("2026-11-30T10:00:00Z"));
      usage.increment(at("2026-11-30T23:59:59Z"), 4);
      expect(usage.snapshot(at("2026-11-30T23:59:59Z"))).toEqual({
        day: "2026-11-30",
        day_requests: 5,
        month: "2026-11",
        month_requests: 5,
      });
      usage.increment(at("2026-12-01T00:00:00Z"));
      expect(usage.snapshot(at("2026-12-01T00:00:01Z"))).toMatchObject({ day_requests: 1, month_requests: 1 });
      const reloaded = new UsageCounter(sqlTag(storage));
      expect(reloaded.monthTotal(at("2026-11-30T12:00:00Z"))).toBe(5);
      expect(reloaded.range("2026-11-29", "2026-12-31")).toEqual([
        { day: "2026-11-30", requests: 5 },
        { day: "2026-12-01", requests: 1 },
      ]);
    });
  });

  it("release un-counts on the day the slots were counted, never below zero", async () => {
    await withStorage("release", (storage) => {
      const usage = new UsageCounter(sqlTag(storage));
      usage.increment(at("2026-11-10T10:00:00Z"), 10);
      usage.release("2026-11-10", 4, at("2026-11-10T10:00:01Z"));
      expect(usage.monthTotal(at("2026-11-10T10:00:01Z"))).toBe(6);
      usage.release("2026-11-10", 100, at("2026-11-10T10:00:02Z"));
      expect(usage.range("2026-11-10", "2026-11-10")).toEqual([{ day: "2026-11-10", requests: 0 }]);
    });
  });
});
