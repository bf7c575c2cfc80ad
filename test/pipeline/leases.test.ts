import { describe, expect, it, vi } from "vitest";
import {
  countRequest,
  endLease,
  heard,
  knownState,
  LEASE_TTL_MS,
  leaseMinRate,
  MAX_BLOCK,
  MIN_BLOCK,
  REFRESH_MS,
  slotsToAsk,
  spendSlot,
  stateFor,
  wantsTopUp,
  type GiveBack,
} from "../../src/pipeline/leases";
import type { Lease } from "../../src/bindings/protocol";

let next = 0;
const containerId = () => `lease-test-${++next}`;
const SECOND = 1_700_000_000_000;
const DAY = "2026-11-23";

function recorder(giveBack?: GiveBack) {
  const given: Lease[] = [];
  const kept: Promise<unknown>[] = [];
  return {
    given,
    kept,
    giveBack: giveBack ?? (async (lease: Lease) => given.push(lease)),
    keepAlive: (work: Promise<unknown>) => kept.push(work),
  };
}

/** A container this isolate has heard of at `now`, holding `slots`. */
function holding(slots: number, now = SECOND, giveBack?: GiveBack) {
  const id = containerId();
  const r = recorder(giveBack);
  const state = stateFor(id, r.giveBack, r.keepAlive);
  heard(id, state, { version: 1, paused: null, lease: { slots, day: DAY }, asked: Math.max(slots, 1) }, now, r.keepAlive);
  return { id, state, ...r };
}

describe("leaseMinRate", () => {
  it.each([
    [undefined, 0],
    ["", 0],
    ["0", 0],
    ["50", 50],
    ["nonsense", 0],
    ["-3", 0],
    ["off", null],
  ])("%j -> %j", (setting, rate) => expect(leaseMinRate(setting)).toBe(rate));
});

describe("asking for slots", () => {
  it("a cold isolate asks for one minimum block; a busy one for two seconds of its traffic, capped", () => {
    expect(slotsToAsk(undefined, 0, SECOND)).toBe(MIN_BLOCK);
    const { state } = holding(0);
    for (let i = 0; i < 300; i++) countRequest(state, SECOND + i);
    countRequest(state, SECOND + 1_000);
    expect(slotsToAsk(state, 0, SECOND + 1_000)).toBe(600);
    for (let i = 0; i < 2_000; i++) countRequest(state, SECOND + 2_000 + i / 10);
    countRequest(state, SECOND + 3_000);
    expect(slotsToAsk(state, 0, SECOND + 3_000)).toBe(MAX_BLOCK);
  });

  it("not while an ask is in flight, not when strict, not under the minimum rate, not for a second after a refusal", () => {
    const refused = holding(0);
    expect(slotsToAsk(refused.state, 0, SECOND + 10)).toBe(0);
    expect(slotsToAsk(refused.state, 0, SECOND + REFRESH_MS)).toBe(MIN_BLOCK);
    const { state } = holding(0);
    expect(slotsToAsk(state, null, SECOND)).toBe(0);
    expect(slotsToAsk(state, 200, SECOND)).toBe(0);
    state.inflight = Promise.resolve();
    expect(slotsToAsk(state, 0, SECOND)).toBe(0);
  });

  it("tops up in the background when the word is a second old or the lease under half its block", () => {
    const { state } = holding(MIN_BLOCK);
    expect(wantsTopUp(state, SECOND + 10, 0)).toBe(false);
    expect(wantsTopUp(state, SECOND + REFRESH_MS, 0)).toBe(true);
    for (let i = 0; i < MIN_BLOCK / 2 + 1; i++) spendSlot(state, SECOND + 20);
    expect(wantsTopUp(state, SECOND + 20, 0)).toBe(true);
    state.inflight = Promise.resolve();
    expect(wantsTopUp(state, SECOND + REFRESH_MS, 0)).toBe(false);
    state.inflight = null;
    state.paused = "ops";
    expect(wantsTopUp(state, SECOND + REFRESH_MS, 0)).toBe(false);
  });
});

describe("holding a lease", () => {
  it("covers exactly its slots, for its lifetime after the last top-up", () => {
    const { id, state, keepAlive } = holding(3);
    expect([1, 2, 3, 4].map(() => spendSlot(state, SECOND + 1))).toEqual([true, true, true, false]);
    heard(id, state, { version: 1, paused: null, lease: { slots: 2, day: DAY }, asked: 0 }, SECOND + 5_000, keepAlive);
    expect(spendSlot(state, SECOND + 5_000 + LEASE_TTL_MS - 1)).toBe(true);
    expect(spendSlot(state, SECOND + 5_000 + LEASE_TTL_MS)).toBe(false);
  });

  it("gives back what is left once: when ended, on a pause, or at its end of life", async () => {
    const { id, state, given, giveBack, keepAlive, kept } = holding(5);
    spendSlot(state, SECOND);
    await endLease(id);
    await endLease(id);
    expect(given).toEqual([{ slots: 4, day: DAY }]);
    expect(knownState(id)).toBeUndefined();

    const paused = containerId();
    const pausedState = stateFor(paused, giveBack, keepAlive);
    heard(paused, pausedState, { version: 1, paused: null, lease: { slots: 3, day: DAY }, asked: 0 }, SECOND, keepAlive);
    heard(paused, pausedState, { version: 1, paused: "ops", lease: undefined, asked: 0 }, SECOND, keepAlive);
    expect(given).toContainEqual({ slots: 3, day: DAY });
    expect(spendSlot(pausedState, SECOND)).toBe(false);

    const later = containerId();
    heard(later, stateFor(later, giveBack, keepAlive), { version: 1, paused: null, lease: { slots: 2, day: "2026-11-24" }, asked: 0 }, Date.now(), keepAlive);
    await vi.waitFor(() => expect(given).toContainEqual({ slots: 2, day: "2026-11-24" }), { timeout: LEASE_TTL_MS * 2 });
    await Promise.all(kept);
    expect(given).toHaveLength(3);
  }, LEASE_TTL_MS * 3);

  it("slots of another day join only after the old day's rest went back", () => {
    const { id, state, given, keepAlive } = holding(4);
    heard(id, state, { version: 1, paused: null, lease: { slots: 6, day: "2026-11-24" }, asked: 0 }, SECOND, keepAlive);
    expect(given).toEqual([{ slots: 4, day: DAY }]);
    expect(state.slots).toBe(6);
  });

  it("what an ask brings after the container was forgotten goes straight back", async () => {
    const id = containerId();
    const { given, giveBack, keepAlive } = recorder();
    const state = stateFor(id, giveBack, keepAlive);
    let answer!: () => void;
    state.inflight = new Promise<void>((resolve) => (answer = resolve));
    const ended = endLease(id);
    heard(id, state, { version: 1, paused: null, lease: { slots: 7, day: DAY }, asked: 0 }, SECOND, keepAlive);
    answer();
    await ended;
    expect(given).toEqual([{ slots: 7, day: DAY }]);
    expect(knownState(id)).toBeUndefined();
  });

  it("a failing give-back is logged, not thrown", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { id } = holding(1, SECOND, () => Promise.reject(new Error("gone")));
    await endLease(id);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });
});
