import { describe, expect, it, vi } from "vitest";
import {
  answered,
  endLease,
  holdLease,
  LEASE_TTL_MS,
  leaseMinRate,
  slotsToAsk,
  useLeasedSlot,
  type GiveBack,
} from "../../src/pipeline/leases";
import type { Lease } from "../../src/bindings/protocol";

let next = 0;
const containerId = () => `lease-test-${++next}`;
const SECOND = 1_700_000_000_000;

function recorder() {
  const given: Lease[] = [];
  const kept: Promise<unknown>[] = [];
  const giveBack: GiveBack = async (lease) => given.push(lease);
  return { given, kept, giveBack, keepAlive: (work: Promise<unknown>) => kept.push(work) };
}

describe("leaseMinRate", () => {
  it.each([
    [undefined, 200],
    ["", 200],
    ["50", 50],
    ["nonsense", 200],
    ["-3", 200],
    ["off", null],
  ])("%j -> %j", (setting, rate) => expect(leaseMinRate(setting)).toBe(rate));
});

describe("asking for a lease", () => {
  it("asks only when the last full second was busy, one ask at a time", () => {
    const id = containerId();
    for (let i = 0; i < 250; i++) useLeasedSlot(id, 1, SECOND + i);
    expect(slotsToAsk(id, 200)).toBe(0);
    useLeasedSlot(id, 1, SECOND + 1_000);
    expect(slotsToAsk(id, 200)).toBe(Math.ceil((250 * LEASE_TTL_MS) / 1000));
    expect(slotsToAsk(id, 200)).toBe(0);
    answered(id);
    expect(slotsToAsk(id, 200)).toBe(125);
    answered(id);
    expect(slotsToAsk(id, null)).toBe(0);
    expect(slotsToAsk(id, 300)).toBe(0);
  });

  it("a quiet second in between means quiet", () => {
    const id = containerId();
    for (let i = 0; i < 500; i++) useLeasedSlot(id, 1, SECOND + i);
    useLeasedSlot(id, 1, SECOND + 2_500);
    expect(slotsToAsk(id, 200)).toBe(0);
  });
});

describe("holding a lease", () => {
  it("covers exactly its slots, only for its config version and lifetime", () => {
    const id = containerId();
    const { giveBack, keepAlive } = recorder();
    holdLease(id, 7, { slots: 3, day: "2026-11-23" }, SECOND, giveBack, keepAlive);
    expect(useLeasedSlot(id, 8, SECOND)).toBe(false);
    expect([1, 2, 3, 4].map(() => useLeasedSlot(id, 7, SECOND + 1))).toEqual([true, true, true, false]);
    holdLease(id, 7, { slots: 3, day: "2026-11-23" }, SECOND, giveBack, keepAlive);
    expect(useLeasedSlot(id, 7, SECOND + LEASE_TTL_MS)).toBe(false);
  });

  it("gives back what is left once: when it ends, when replaced, or at its end of life", async () => {
    const id = containerId();
    const { given, kept, giveBack, keepAlive } = recorder();
    holdLease(id, 1, { slots: 5, day: "2026-11-23" }, SECOND, giveBack, keepAlive);
    useLeasedSlot(id, 1, SECOND);
    holdLease(id, 1, { slots: 4, day: "2026-11-23" }, SECOND, giveBack, keepAlive);
    expect(given).toEqual([{ slots: 4, day: "2026-11-23" }]);
    useLeasedSlot(id, 1, SECOND);
    await endLease(id);
    await endLease(id);
    expect(given).toEqual([
      { slots: 4, day: "2026-11-23" },
      { slots: 3, day: "2026-11-23" },
    ]);
    const later = containerId();
    holdLease(later, 1, { slots: 2, day: "2026-11-24" }, Date.now(), giveBack, keepAlive);
    await vi.waitFor(() => expect(given).toContainEqual({ slots: 2, day: "2026-11-24" }), { timeout: LEASE_TTL_MS * 4 });
    await Promise.all(kept);
    expect(given).toHaveLength(3);
  });

  it("a failing give-back is logged, not thrown", async () => {
    const id = containerId();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    holdLease(id, 1, { slots: 1, day: "2026-11-23" }, SECOND, () => Promise.reject(new Error("gone")), () => undefined);
    await expect(endLease(id)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });
});
